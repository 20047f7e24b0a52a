/**
 * The one activity (主界面): three tabs — 随手拍 (capture), 我的报告 (my reports), 设置
 * (settings and enrollment). Opening the app is a moment to sync (SyncPolicy decides).
 */
package org.hazardsnap.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.viewModels
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.CameraAlt
import androidx.compose.material.icons.filled.List
import androidx.compose.material.icons.filled.Settings
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import kotlinx.coroutines.launch
import org.hazardsnap.app.ui.CaptureScreen
import org.hazardsnap.app.ui.ReportsScreen
import org.hazardsnap.app.ui.SettingsScreen
import org.hazardsnap.logic.SyncTrigger

class MainActivity : ComponentActivity() {
    private val capture: CaptureViewModel by viewModels()
    private val reports: ReportsViewModel by viewModels()
    private val enroll: EnrollViewModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val app = application as HazardsnapApp
        app.scope.launch { app.considerSync(SyncTrigger.APP_OPENED) }
        setContent {
            MaterialTheme {
                var tab by rememberSaveable { mutableIntStateOf(0) }
                Scaffold(bottomBar = {
                    NavigationBar {
                        NavigationBarItem(selected = tab == 0, onClick = { tab = 0 }, icon = { Icon(Icons.Filled.CameraAlt, null) }, label = { Text(stringResource(R.string.tab_capture)) })
                        NavigationBarItem(selected = tab == 1, onClick = { tab = 1 }, icon = { Icon(Icons.Filled.List, null) }, label = { Text(stringResource(R.string.tab_reports)) })
                        NavigationBarItem(selected = tab == 2, onClick = { tab = 2 }, icon = { Icon(Icons.Filled.Settings, null) }, label = { Text(stringResource(R.string.tab_settings)) })
                    }
                }) { padding ->
                    Box(Modifier.padding(padding)) {
                        when (tab) {
                            0 -> CaptureScreen(capture)
                            1 -> ReportsScreen(reports)
                            else -> SettingsScreen(enroll)
                        }
                    }
                }
            }
        }
    }
}

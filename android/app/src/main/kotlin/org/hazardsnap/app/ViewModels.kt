/**
 * The Android view models (视图模型): each owns one state holder of :hazardsnap-logic and runs
 * its calls in `viewModelScope`, on the process's one core. They add only what needs Android:
 * the core from the application, WorkManager scheduling, the network state, and the statuses
 * remembered in SharedPreferences for the notices.
 */
package org.hazardsnap.app

import android.app.Application
import android.content.Context
import android.os.Build
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.flatMapLatest
import kotlinx.coroutines.flow.flowOf
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.launch
import org.hazardsnap.logic.CaptureModel
import org.hazardsnap.logic.CaptureState
import org.hazardsnap.logic.EnrollState
import org.hazardsnap.logic.EnrollmentModel
import org.hazardsnap.logic.FormEvent
import org.hazardsnap.logic.MyReportsModel
import org.hazardsnap.logic.MyTrainings
import org.hazardsnap.logic.ReportsState
import org.hazardsnap.logic.SeenStatuses
import org.hazardsnap.logic.SyncDecision
import org.hazardsnap.logic.SyncPolicy
import org.hazardsnap.logic.SyncSituation
import org.hazardsnap.logic.SyncTrigger

private val Application.hazardsnap get() = this as HazardsnapApp

/** Asks [SyncPolicy] what to do after [trigger] and lets WorkManager or the core do it. */
internal suspend fun HazardsnapApp.considerSync(trigger: SyncTrigger) {
    val core = core.await()
    val situation = SyncSituation(
        enrolled = core.enrollment() != null,
        queued = core.counts().queued,
        network = syncScheduler.network(),
        unmeteredOnly = syncScheduler.unmeteredOnly,
        trigger = trigger,
    )
    when (val d = SyncPolicy.decide(situation)) {
        // Even "now" goes through WorkManager: the run survives the screen being closed.
        is SyncDecision.RunNow -> syncScheduler.requestSoon()
        is SyncDecision.WhenNetwork -> syncScheduler.requestSoon(d.network)
        is SyncDecision.Idle -> Unit
    }
}

/** The capture screen: photos and the report form. */
@OptIn(ExperimentalCoroutinesApi::class)
class CaptureViewModel(app: Application) : AndroidViewModel(app) {
    private val model = MutableStateFlow<CaptureModel?>(null)

    init {
        viewModelScope.launch {
            val core = app.hazardsnap.core.await()
            model.value = CaptureModel(core, { t -> app.hazardsnap.scope.launch { app.hazardsnap.considerSync(t) } })
        }
    }

    val state: StateFlow<CaptureState> = model
        .flatMapLatest { it?.state ?: flowOf(CaptureState()) }
        .stateIn(viewModelScope, SharingStarted.Eagerly, CaptureState())

    fun on(event: FormEvent) {
        model.value?.on(event)
    }

    fun submit(draft: Boolean = false) {
        viewModelScope.launch {
            val m = model.value ?: return@launch
            val taken = m.state.value.form.photoPaths
            // The core keeps its own processed copies: the camera's files can go once saved.
            if (m.submit(draft) != null) taken.forEach { java.io.File(it).delete() }
        }
    }
}

/** SharedPreferences behind the notices' memory. */
private class PrefsSeenStatuses(context: Context) : SeenStatuses {
    private val prefs = context.getSharedPreferences("seen_statuses", Context.MODE_PRIVATE)
    override fun load(): Map<String, String> = prefs.all.mapValues { it.value.toString() }
    override fun save(seen: Map<String, String>) {
        val e = prefs.edit()
        seen.forEach { (k, v) -> e.putString(k, v) }
        e.apply()
    }
}

/** "My reports" with their status and the server's notices. */
@OptIn(ExperimentalCoroutinesApi::class)
class ReportsViewModel(app: Application) : AndroidViewModel(app) {
    private val model = MutableStateFlow<MyReportsModel?>(null)

    init {
        viewModelScope.launch {
            val m = MyReportsModel(app.hazardsnap.core.await(), PrefsSeenStatuses(app))
            model.value = m
            m.refresh()
        }
    }

    val state: StateFlow<ReportsState> = model
        .flatMapLatest { it?.state ?: flowOf(ReportsState()) }
        .stateIn(viewModelScope, SharingStarted.Eagerly, ReportsState())

    fun refresh() {
        viewModelScope.launch { model.value?.refresh() }
    }

    /** The worker pressed "send now" (立即发送). */
    fun syncNow() {
        viewModelScope.launch { model.value?.syncNow(getApplication<HazardsnapApp>().syncScheduler.network()) }
    }

    fun dismissNotices() {
        model.value?.dismissNotices()
    }
}

/** Enrollment by QR code, and the settings. */
@OptIn(ExperimentalCoroutinesApi::class)
class EnrollViewModel(app: Application) : AndroidViewModel(app) {
    private val model = MutableStateFlow<EnrollmentModel?>(null)
    private val _trainings = MutableStateFlow<MyTrainings?>(null)

    /** The worker's own trainings (我的培训), as the last sync brought them. */
    val trainings: StateFlow<MyTrainings?> = _trainings

    init {
        viewModelScope.launch {
            val core = app.hazardsnap.core.await()
            val m = EnrollmentModel(core, "${Build.MANUFACTURER} ${Build.MODEL}")
            model.value = m
            m.load()
            _trainings.value = runCatching { core.myTrainings() }.getOrNull()
        }
    }

    val state: StateFlow<EnrollState> = model
        .flatMapLatest { it?.state ?: flowOf(EnrollState.Checking) }
        .stateIn(viewModelScope, SharingStarted.Eagerly, EnrollState.Checking)

    /** A QR code was scanned. */
    fun onScan(raw: String) {
        viewModelScope.launch {
            model.value?.onScan(raw)
            afterEnroll()
        }
    }

    /** Server and code typed by hand. */
    fun enroll(serverUrl: String, code: String) {
        viewModelScope.launch {
            model.value?.enroll(serverUrl, code)
            afterEnroll()
        }
    }

    private suspend fun afterEnroll() {
        val app = getApplication<HazardsnapApp>()
        if (state.value is EnrollState.Enrolled) {
            app.syncScheduler.ensurePeriodic()
            app.considerSync(SyncTrigger.APP_OPENED)
        }
    }

    val unmeteredOnly: Boolean get() = getApplication<HazardsnapApp>().syncScheduler.unmeteredOnly

    /** The "only on Wi-Fi" switch: the core refuses metered runs, WorkManager waits for Wi-Fi. */
    fun setUnmeteredOnly(on: Boolean) {
        val app = getApplication<HazardsnapApp>()
        viewModelScope.launch {
            app.core.await().setUnmeteredOnly(on)
            app.syncScheduler.unmeteredOnly = on
            app.syncScheduler.ensurePeriodic()
        }
    }
}

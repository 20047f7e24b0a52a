/**
 * The screens in Jetpack Compose (界面): capture with the report form (随手拍), my reports with
 * their status and the server's notices (我的报告), and settings with enrollment by QR code
 * (设置). Each shows the state of its view model and sends it the worker's actions; every text
 * comes from :hazardsnap-logic in the phone's language (Chinese first).
 */
package org.hazardsnap.app.ui

import android.Manifest
import android.content.pm.PackageManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.hazardsnap.app.CaptureViewModel
import org.hazardsnap.app.EnrollViewModel
import org.hazardsnap.app.HazardsnapApp
import org.hazardsnap.app.ReportsViewModel
import org.hazardsnap.logic.AtRisk
import org.hazardsnap.logic.Category
import org.hazardsnap.logic.CheckSource
import org.hazardsnap.logic.EnrollState
import org.hazardsnap.logic.FormEvent
import org.hazardsnap.logic.Labelled
import org.hazardsnap.logic.ReportKind
import org.hazardsnap.logic.Severity
import org.hazardsnap.logic.Text as Words
import org.hazardsnap.logic.Tone
import org.hazardsnap.logic.TrainingTexts

private val lang = HazardsnapApp.lang()

/** A bilingual text in the phone's language. */
private fun Words.show(): String = this[lang]

@Composable
private fun CameraPermission(content: @Composable () -> Unit) {
    val context = LocalContext.current
    var granted by remember {
        mutableStateOf(ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED)
    }
    val ask = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted = it }
    if (granted) {
        content()
    } else {
        Column(Modifier.padding(24.dp)) {
            Text(Words("拍照和扫码需要相机权限", "Photos and QR codes need the camera").show())
            Button(onClick = { ask.launch(Manifest.permission.CAMERA) }) { Text(Words("允许使用相机", "Allow the camera").show()) }
        }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun <T : Labelled> Choice(title: Words, values: List<T>, selected: (T) -> Boolean, onPick: (T) -> Unit) {
    Text(title.show(), style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(top = 8.dp))
    FlowRow(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
        values.forEach { v -> FilterChip(selected = selected(v), onClick = { onPick(v) }, label = { Text(v.label.show()) }) }
    }
}

/** 随手拍: take photos, fill the form, save (sent when a network is there). */
@Composable
fun CaptureScreen(vm: CaptureViewModel) {
    val state by vm.state.collectAsStateWithLifecycle()
    val form = state.form
    var take by remember { mutableStateOf<((java.io.File) -> Unit, (String) -> Unit) -> Unit>({ _, _ -> }) }
    var scanning by remember { mutableStateOf(false) }
    CameraPermission {
        Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(12.dp)) {
            if (scanning) {
                QrScanner(Modifier.fillMaxWidth().height(280.dp)) { raw ->
                    scanning = false
                    vm.on(FormEvent.SiteScanned(raw))
                }
                TextButton(onClick = { scanning = false }) { Text(Words("取消扫码", "Cancel").show()) }
            } else {
                CameraPreview(Modifier.fillMaxWidth().height(280.dp)) { take = it }
            }
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
                Button(enabled = form.canAddPhoto && !scanning, onClick = {
                    take({ file -> vm.on(FormEvent.PhotoTaken(file.path)) }, { })
                }) { Text(Words("拍照（${form.photoPaths.size}/9）", "Photo (${form.photoPaths.size}/9)").show()) }
                OutlinedButton(onClick = { scanning = true }) { Text(Words("扫点位码", "Scan site point").show()) }
            }
            form.siteCode?.let { Text(Words("点位：$it", "Site point: $it").show()) }

            Choice(Words("类型", "Kind"), ReportKind.entries, { it == form.kind }) { vm.on(FormEvent.KindChosen(it)) }
            Choice(Words("类别（六查）", "Category (six checks)"), Category.entries, { it == form.category }) { vm.on(FormEvent.CategoryChosen(it)) }
            if (form.kind == ReportKind.HAZARD) {
                Choice(Words("隐患等级", "Severity"), Severity.entries, { it == form.severity }) { vm.on(FormEvent.SeverityChosen(it)) }
            }
            Choice(Words("危及（四保）", "At risk (four protects)"), AtRisk.entries, { it in form.atRisk }) { vm.on(FormEvent.AtRiskToggled(it)) }
            Choice(Words("发现方式（四查）", "Found by (four checks)"), CheckSource.entries, { it == form.source }) { vm.on(FormEvent.SourceChosen(it)) }

            OutlinedTextField(
                value = form.note, onValueChange = { vm.on(FormEvent.NoteChanged(it)) },
                label = { Text(Words("说明", "Note").show()) }, modifier = Modifier.fillMaxWidth(), minLines = 2,
            )
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedTextField(
                    value = form.workshop.orEmpty(), onValueChange = { vm.on(FormEvent.WorkshopChosen(it)) },
                    label = { Text(Words("车间", "Workshop").show()) }, modifier = Modifier.weight(1f), singleLine = true,
                )
                OutlinedTextField(
                    value = form.team.orEmpty(), onValueChange = { vm.on(FormEvent.TeamChosen(it)) },
                    label = { Text(Words("班组", "Team").show()) }, modifier = Modifier.weight(1f), singleLine = true,
                )
            }
            state.form.teamsOffered(state.roster).takeIf { it.isNotEmpty() }?.let { teams ->
                Row(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
                    teams.forEach { t -> FilterChip(selected = form.team == t, onClick = { vm.on(FormEvent.TeamChosen(t)) }, label = { Text(t) }) }
                }
            }
            Row(verticalAlignment = Alignment.CenterVertically) {
                Switch(checked = form.anonymous, onCheckedChange = { vm.on(FormEvent.AnonymousSwitched(it)) })
                Spacer(Modifier.padding(4.dp))
                Text(Words("匿名上报（企业看不到您的姓名和手机）", "Anonymous (your enterprise does not see who sent it)").show())
            }
            if (state.showProblems) {
                state.problems.forEach { Text(it.text.show(), color = MaterialTheme.colorScheme.error) }
            }
            state.error?.let { Text(it.show(), color = MaterialTheme.colorScheme.error) }
            state.message?.let { Text(it.show(), color = MaterialTheme.colorScheme.primary) }
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Button(enabled = !state.saving, onClick = { vm.submit() }) { Text(Words("保存并发送", "Save and send").show()) }
                OutlinedButton(enabled = !state.saving, onClick = { vm.submit(draft = true) }) { Text(Words("存草稿", "Save draft").show()) }
            }
        }
    }
}

private fun Tone.colour(): Color = when (this) {
    Tone.NEUTRAL -> Color(0xFF616161)
    Tone.WAITING -> Color(0xFFEF6C00)
    Tone.PROGRESS -> Color(0xFF1565C0)
    Tone.DONE -> Color(0xFF2E7D32)
    Tone.PROBLEM -> Color(0xFFC62828)
}

/** 我的报告: every report with its status, the notices, "send now". */
@Composable
fun ReportsScreen(vm: ReportsViewModel) {
    val state by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { vm.refresh() }
    Column(Modifier.fillMaxSize().padding(12.dp)) {
        Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            state.counts?.let { Text(Words("待发送 ${it.queued} · 已发送 ${it.synced} · 草稿 ${it.draft}", "Waiting ${it.queued} · sent ${it.synced} · drafts ${it.draft}").show()) }
            Button(enabled = !state.syncing, onClick = { vm.syncNow() }) { Text(Words("立即发送", "Send now").show()) }
        }
        state.lastSync?.let { Text(it.show()) }
        state.error?.let { Text(it.show(), color = MaterialTheme.colorScheme.error) }
        if (state.notices.isNotEmpty()) {
            AlertDialog(
                onDismissRequest = { vm.dismissNotices() },
                confirmButton = { TextButton(onClick = { vm.dismissNotices() }) { Text(Words("知道了", "OK").show()) } },
                title = { Text(Words("报告有新进展", "Your reports moved on").show()) },
                text = { Column { state.notices.forEach { Text(it.text.show()) } } },
            )
        }
        LazyColumn(verticalArrangement = Arrangement.spacedBy(8.dp)) {
            items(state.lines, key = { it.row.id }) { line ->
                Card(Modifier.fillMaxWidth()) {
                    Column(Modifier.padding(10.dp)) {
                        Text("${line.row.category.label.show()} · ${line.row.severity.label.show()}", style = MaterialTheme.typography.titleSmall)
                        Text(line.row.notePreview.ifEmpty { Words("（无说明）", "(no note)").show() })
                        Text(line.status.title.show(), color = line.status.tone.colour())
                        line.status.detail?.let { Text(it.show(), style = MaterialTheme.typography.bodySmall) }
                    }
                }
            }
        }
    }
}

/** 设置: enrollment by QR code (or typed), my trainings (我的培训), "only on Wi-Fi". */
@Composable
fun SettingsScreen(vm: EnrollViewModel) {
    val state by vm.state.collectAsStateWithLifecycle()
    val trainings by vm.trainings.collectAsStateWithLifecycle()
    var scanning by remember { mutableStateOf(false) }
    var server by remember { mutableStateOf("") }
    var code by remember { mutableStateOf("") }
    var wifiOnly by remember { mutableStateOf(vm.unmeteredOnly) }
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        when (val s = state) {
            EnrollState.Checking -> Text(Words("正在读取…", "Loading…").show())
            is EnrollState.Enrolled -> Text(Words("已注册到：${s.info.enterpriseName}（${s.info.enterpriseCode}）", "Enrolled with ${s.info.enterpriseName} (${s.info.enterpriseCode})").show())
            is EnrollState.Enrolling -> Text(Words("正在注册…", "Enrolling…").show())
            is EnrollState.Failed -> Text(s.text.show(), color = MaterialTheme.colorScheme.error)
            EnrollState.NotEnrolled -> Text(Words("请扫描企业工会发放的注册二维码", "Scan the enrollment QR code from your enterprise union").show())
        }
        if (scanning) {
            CameraPermission {
                QrScanner(Modifier.fillMaxWidth().height(280.dp)) { raw ->
                    scanning = false
                    vm.onScan(raw)
                }
            }
        } else {
            Button(onClick = { scanning = true }) { Text(Words("扫码注册", "Scan to enroll").show()) }
        }
        OutlinedTextField(value = server, onValueChange = { server = it }, label = { Text(Words("服务器地址", "Server address").show()) }, singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(value = code, onValueChange = { code = it }, label = { Text(Words("注册码", "Enrollment code").show()) }, singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedButton(enabled = server.isNotBlank() && code.isNotBlank(), onClick = { vm.enroll(server.trim(), code.trim()) }) {
            Text(Words("手动注册", "Enroll by hand").show())
        }
        Text(Words("我的培训", "My trainings").show(), style = MaterialTheme.typography.titleMedium)
        trainings?.let { mine ->
            Text(TrainingTexts.summary(mine).show(), style = MaterialTheme.typography.bodySmall)
            mine.trainings.forEach { Text(TrainingTexts.line(it).show()) }
        }
        Row(verticalAlignment = Alignment.CenterVertically) {
            Switch(checked = wifiOnly, onCheckedChange = {
                wifiOnly = it
                vm.setUnmeteredOnly(it)
            })
            Spacer(Modifier.padding(4.dp))
            Text(Words("仅在 Wi-Fi 下发送", "Send only on Wi-Fi").show())
        }
        Text(Words("核心版本 ${org.hazardsnap.core.coreVersion()}", "Core version ${org.hazardsnap.core.coreVersion()}").show(), style = MaterialTheme.typography.bodySmall)
    }
}

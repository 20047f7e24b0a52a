/**
 * The report form (隐患上报表单): what the worker has entered so far and whether it can be sent.
 *
 * The rules are the ones the core enforces at capture (`crates/model/src/wire.rs`,
 * `validate_content`), checked here first so the screen can point at the field before the worker
 * presses "send"; each [FormProblem] has the core's error code, and the JVM tests hold the two
 * to the same verdict on the same input. Text lengths count Unicode code points, as Rust does.
 */
package org.hazardsnap.logic

/** What is wrong with the form, with the code the core would answer. */
enum class FormProblem(val code: String, val text: Text) {
    EMPTY("empty_report", Text("请拍照或填写说明", "Take a photo or write a note")),
    HAZARD_WITHOUT_PHOTO("hazard_without_photo", Text("隐患需要至少一张照片", "A hazard needs at least one photo")),
    MAJOR_SUGGESTION("major_suggestion", Text("合理化建议不分重大", "A suggestion cannot be major")),
    TOO_MANY_PHOTOS("too_many_photos", Text("最多 9 张照片", "At most 9 photos")),
    NOTE_TOO_LONG("note_too_long", Text("说明最多 2000 字", "The note is limited to 2000 characters")),
    FIELD_TOO_LONG("field_too_long", Text("车间、班组或点位名称过长（最多 64 字）", "Workshop, team or site point too long (64 characters at most)")),
    INVALID_LOCATION("invalid_location", Text("定位数据无效", "The position is not valid")),
}

/** The enterprise's workshops (车间) and their teams (班组), for the pickers. */
data class Roster(val workshops: Map<String, List<String>>) {
    companion object {
        /** No roster known: the worker types workshop and team. */
        val NONE = Roster(emptyMap())
    }
}

/** Limits of a report (the model's constants). */
object Limits {
    const val MAX_PHOTOS = 9
    const val MAX_NOTE_CHARS = 2000
    const val MAX_SHORT_FIELD_CHARS = 64
}

/** The form's state; every change makes a new one. */
data class ReportForm(
    val kind: ReportKind = ReportKind.HAZARD,
    val category: Category = Category.OTHER,
    val severity: Severity = Severity.GENERAL,
    val atRisk: Set<AtRisk> = emptySet(),
    val source: CheckSource = CheckSource.WORKER_CHECK,
    val note: String = "",
    val workshop: String? = null,
    val team: String? = null,
    val siteCode: String? = null,
    val latitude: Double? = null,
    val longitude: Double? = null,
    val accuracyM: Double? = null,
    val anonymous: Boolean = false,
    val photoPaths: List<String> = emptyList(),
) {
    /** Every problem, in the order the core checks them; empty when the form can be sent. */
    fun problems(): List<FormProblem> {
        val out = mutableListOf<FormProblem>()
        val noteChars = note.trim().let { it.codePointCount(0, it.length) }
        if (photoPaths.isEmpty() && noteChars == 0) out += FormProblem.EMPTY
        if (kind == ReportKind.HAZARD && photoPaths.isEmpty()) out += FormProblem.HAZARD_WITHOUT_PHOTO
        if (kind == ReportKind.SUGGESTION && severity == Severity.MAJOR) out += FormProblem.MAJOR_SUGGESTION
        if (photoPaths.size > Limits.MAX_PHOTOS) out += FormProblem.TOO_MANY_PHOTOS
        if (noteChars > Limits.MAX_NOTE_CHARS) out += FormProblem.NOTE_TOO_LONG
        if (listOf(workshop, team, siteCode).any { it != null && it.codePointCount(0, it.length) > Limits.MAX_SHORT_FIELD_CHARS }) {
            out += FormProblem.FIELD_TOO_LONG
        }
        if (!locationValid()) out += FormProblem.INVALID_LOCATION
        return out
    }

    private fun locationValid(): Boolean {
        val lat = latitude
        val lon = longitude
        if (lat == null && lon == null) return true
        if (lat == null || lon == null) return false
        if (!(lat.isFinite() && lat in -90.0..90.0)) return false
        if (!(lon.isFinite() && lon in -180.0..180.0)) return false
        val a = accuracyM ?: return true
        return a.isFinite() && a >= 0.0
    }

    /** Whether "send" may be pressed. */
    val canSend: Boolean get() = problems().isEmpty()

    /** Whether the worker may take another photo. */
    val canAddPhoto: Boolean get() = photoPaths.size < Limits.MAX_PHOTOS

    /** The teams to offer for the chosen workshop; empty when the roster does not know it. */
    fun teamsOffered(roster: Roster): List<String> = workshop?.let { roster.workshops[it] }.orEmpty()

    /**
     * The report for the core; `null` while [problems] is not empty. Blank optional fields are
     * sent as absent; the "four protects" go in their fixed order. A suggestion carries no
     * severity of its own, so it is sent as general.
     */
    fun toReport(draft: Boolean): NewReport? {
        if (problems().isNotEmpty()) return null
        fun clean(s: String?) = s?.trim()?.takeIf { it.isNotEmpty() }
        return NewReport(
            kind = kind,
            category = category,
            severity = if (kind == ReportKind.SUGGESTION) Severity.GENERAL else severity,
            atRisk = AtRisk.entries.filter { it in atRisk },
            source = source,
            note = note.trim(),
            workshop = clean(workshop),
            team = clean(team),
            siteCode = clean(siteCode),
            latitude = latitude,
            longitude = longitude,
            accuracyM = accuracyM,
            anonymous = anonymous,
            photoPaths = photoPaths,
            draft = draft,
        )
    }
}

/** What the worker does on the form. */
sealed interface FormEvent {
    data class KindChosen(val kind: ReportKind) : FormEvent
    data class CategoryChosen(val category: Category) : FormEvent
    data class SeverityChosen(val severity: Severity) : FormEvent
    data class AtRiskToggled(val atRisk: AtRisk) : FormEvent
    data class SourceChosen(val source: CheckSource) : FormEvent
    data class NoteChanged(val note: String) : FormEvent
    data class WorkshopChosen(val workshop: String?) : FormEvent
    data class TeamChosen(val team: String?) : FormEvent
    /** A QR code read on the site point (扫码定位点位). */
    data class SiteScanned(val raw: String) : FormEvent
    data class PositionKnown(val latitude: Double, val longitude: Double, val accuracyM: Double?) : FormEvent
    data class AnonymousSwitched(val anonymous: Boolean) : FormEvent
    data class PhotoTaken(val path: String) : FormEvent
    data class PhotoRemoved(val path: String) : FormEvent
}

/**
 * Applies [event] to [form]. Changing the workshop clears a team that belongs to another one;
 * a suggestion cannot stay major; a QR that is not a site point leaves the form as it was (the
 * screen says so through [QrCodes.parse]).
 */
fun reduce(form: ReportForm, event: FormEvent, roster: Roster = Roster.NONE): ReportForm = when (event) {
    is FormEvent.KindChosen -> form.copy(
        kind = event.kind,
        severity = if (event.kind == ReportKind.SUGGESTION) Severity.GENERAL else form.severity,
    )
    is FormEvent.CategoryChosen -> form.copy(category = event.category)
    is FormEvent.SeverityChosen -> form.copy(severity = event.severity)
    is FormEvent.AtRiskToggled -> form.copy(
        atRisk = if (event.atRisk in form.atRisk) form.atRisk - event.atRisk else form.atRisk + event.atRisk,
    )
    is FormEvent.SourceChosen -> form.copy(source = event.source)
    is FormEvent.NoteChanged -> form.copy(note = event.note)
    is FormEvent.WorkshopChosen -> {
        val teams = event.workshop?.let { roster.workshops[it] }
        val keepTeam = form.team != null && (teams == null || form.team in teams)
        form.copy(workshop = event.workshop, team = if (keepTeam) form.team else null)
    }
    is FormEvent.TeamChosen -> form.copy(team = event.team)
    is FormEvent.SiteScanned -> when (val qr = QrCodes.parse(event.raw)) {
        is QrCode.SitePoint -> form.copy(siteCode = qr.code)
        else -> form
    }
    is FormEvent.PositionKnown -> form.copy(latitude = event.latitude, longitude = event.longitude, accuracyM = event.accuracyM)
    is FormEvent.AnonymousSwitched -> form.copy(anonymous = event.anonymous)
    is FormEvent.PhotoTaken -> if (form.canAddPhoto && event.path !in form.photoPaths) form.copy(photoPaths = form.photoPaths + event.path) else form
    is FormEvent.PhotoRemoved -> form.copy(photoPaths = form.photoPaths - event.path)
}

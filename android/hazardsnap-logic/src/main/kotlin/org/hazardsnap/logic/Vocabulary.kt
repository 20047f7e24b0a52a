/**
 * The campaign's vocabularies as the screens show them (词表): report kind, the "six checks"
 * (六查) categories, severity, the "four protects" (四保), the "four checks" (四查) sources, the
 * ledger statuses and the phone's local states, each with its wire name and its Chinese and
 * English labels.
 *
 * The wire names and labels are those of `crates/model/src/enums.rs`; the JVM tests compare
 * them with the server's OpenAPI document, which lists every wire name with its labels, so the
 * two cannot drift apart. The adapter to the generated bindings maps each of these to the
 * bindings' enum with an exhaustive `when`: a value added in Rust fails the app's build until it
 * is given a label here.
 */
package org.hazardsnap.logic

/** A closed vocabulary with a stable wire name and bilingual label. */
interface Labelled {
    /** The stable snake_case name of the protocol. */
    val wire: String

    /** What a worker reads. */
    val label: Text
}

/** 隐患 or 合理化建议. */
enum class ReportKind(override val wire: String, override val label: Text) : Labelled {
    HAZARD("hazard", Text("隐患", "Hazard")),
    SUGGESTION("suggestion", Text("合理化建议", "Safety suggestion")),
}

/** The plan's "six checks" (六查) and the two other categories. */
enum class Category(override val wire: String, override val label: Text) : Labelled {
    RULES("rules", Text("安全生产制度落实", "Safety rules followed")),
    STANDARD_WORK("standard_work", Text("职工标准化作业", "Standardized work")),
    EQUIPMENT_GUARDING("equipment_guarding", Text("生产设备安全防护", "Equipment guarding")),
    PPE("ppe", Text("劳动保护用品配备", "Personal protective equipment")),
    FIXED_POSITION("fixed_position", Text("安全生产定置管理", "Fixed-position management")),
    KEY_POINTS("key_points", Text("现场关键点控制", "Key-point control")),
    OCCUPATIONAL_HEALTH("occupational_health", Text("职业健康", "Occupational health")),
    OTHER("other", Text("其他", "Other")),
}

/** 一般隐患 or 重大隐患 (a major one earns a reward). */
enum class Severity(override val wire: String, override val label: Text) : Labelled {
    GENERAL("general", Text("一般隐患", "General hazard")),
    MAJOR("major", Text("重大隐患", "Major hazard")),
}

/** Who or what is at risk: the "four protects" (四保). */
enum class AtRisk(override val wire: String, override val label: Text) : Labelled {
    ONESELF("oneself", Text("自身安全", "Oneself")),
    OTHERS("others", Text("他人安全", "Others")),
    EQUIPMENT("equipment", Text("设备安全", "Equipment")),
    ENVIRONMENT("environment", Text("环境安全", "Environment")),
}

/** How the hazard was found: the "four checks" (四查). */
enum class CheckSource(override val wire: String, override val label: Text) : Labelled {
    WORKER_CHECK("worker_check", Text("职工排查", "Worker's own check")),
    EXPERT_CHECK("expert_check", Text("专家查找", "Expert check")),
    REPRESENTATIVE_PATROL("representative_patrol", Text("职工代表巡查", "Worker representative's patrol")),
    TEAM_CROSS_CHECK("team_cross_check", Text("班组互查", "Team cross-check")),
}

/** Where the report's ledger entry stands on the server (台账状态). */
enum class LedgerStatus(override val wire: String, override val label: Text) : Labelled {
    PENDING_REVIEW("pending_review", Text("待审核", "Pending review")),
    RECTIFYING("rectifying", Text("整改中", "Being rectified")),
    AWAITING_VERIFICATION("awaiting_verification", Text("待验收", "Awaiting verification")),
    CLOSED("closed", Text("已销号", "Closed")),
    REJECTED("rejected", Text("已驳回", "Rejected")),
    MERGED("merged", Text("已合并", "Merged")),
}

/** What became of a safety suggestion (金点子处理状态). */
enum class SuggestionStatus(override val wire: String, override val label: Text) : Labelled {
    RECEIVED("received", Text("已收到", "Received")),
    UNDER_REVIEW("under_review", Text("评估中", "Under review")),
    ADOPTED("adopted", Text("已采纳", "Adopted")),
    NOT_ADOPTED("not_adopted", Text("未采纳", "Not adopted")),
}

/** A training session or an emergency drill (安全培训 / 应急演练). */
enum class TrainingKind(override val wire: String, override val label: Text) : Labelled {
    TRAINING("training", Text("安全培训", "Safety training")),
    DRILL("drill", Text("应急演练", "Emergency drill")),
}

/** Where the report stands on the phone (本机状态). */
enum class LocalState(override val wire: String, override val label: Text) : Labelled {
    DRAFT("draft", Text("草稿", "Draft")),
    QUEUED("queued", Text("待发送", "Waiting to send")),
    SYNCED("synced", Text("已发送", "Sent")),
    FAILED("failed", Text("发送失败", "Refused")),
}

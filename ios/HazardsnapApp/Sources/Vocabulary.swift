/// The words and rules of the screens (词表与规则), the Swift twin of the Android app's
/// `:hazardsnap-logic` module: bilingual labels of the core's vocabularies (six checks 六查,
/// four protects 四保, four checks 四查, ledger statuses), the form's rules with the core's
/// error codes, the status texts of "my reports", the QR formats and the sync decisions.
/// Labels are those of `crates/model/src/enums.rs`.
import Foundation
import HazardsnapCore

/// One user-facing text, Chinese first.
struct Words: Equatable {
    let zh: String
    let en: String

    init(_ zh: String, _ en: String) {
        self.zh = zh
        self.en = en
    }

    /// In the phone's language: Chinese unless the phone prefers another language.
    var shown: String {
        Locale.preferredLanguages.first?.hasPrefix("zh") ?? true ? zh : en
    }

    /// A core message `中文 / English` split in two.
    static func both(_ message: String) -> Words {
        guard let r = message.range(of: " / ") else { return Words(message, message) }
        return Words(String(message[..<r.lowerBound]), String(message[r.upperBound...]))
    }
}

protocol Labelled: CaseIterable, Hashable {
    var label: Words { get }
}

extension ReportKind: Labelled {
    public static var allCases: [ReportKind] { [.hazard, .suggestion] }
    var label: Words {
        switch self {
        case .hazard: return Words("隐患", "Hazard")
        case .suggestion: return Words("合理化建议", "Safety suggestion")
        }
    }
}

extension Category: Labelled {
    public static var allCases: [Category] {
        [.rules, .standardWork, .equipmentGuarding, .ppe, .fixedPosition, .keyPoints, .occupationalHealth, .other]
    }
    var label: Words {
        switch self {
        case .rules: return Words("安全生产制度落实", "Safety rules followed")
        case .standardWork: return Words("职工标准化作业", "Standardized work")
        case .equipmentGuarding: return Words("生产设备安全防护", "Equipment guarding")
        case .ppe: return Words("劳动保护用品配备", "Personal protective equipment")
        case .fixedPosition: return Words("安全生产定置管理", "Fixed-position management")
        case .keyPoints: return Words("现场关键点控制", "Key-point control")
        case .occupationalHealth: return Words("职业健康", "Occupational health")
        case .other: return Words("其他", "Other")
        }
    }
}

extension Severity: Labelled {
    public static var allCases: [Severity] { [.general, .major] }
    var label: Words {
        switch self {
        case .general: return Words("一般隐患", "General hazard")
        case .major: return Words("重大隐患", "Major hazard")
        }
    }
}

extension AtRisk: Labelled {
    public static var allCases: [AtRisk] { [.oneself, .others, .equipment, .environment] }
    var label: Words {
        switch self {
        case .oneself: return Words("自身安全", "Oneself")
        case .others: return Words("他人安全", "Others")
        case .equipment: return Words("设备安全", "Equipment")
        case .environment: return Words("环境安全", "Environment")
        }
    }
}

extension CheckSource: Labelled {
    public static var allCases: [CheckSource] { [.workerCheck, .expertCheck, .representativePatrol, .teamCrossCheck] }
    var label: Words {
        switch self {
        case .workerCheck: return Words("职工排查", "Worker's own check")
        case .expertCheck: return Words("专家查找", "Expert check")
        case .representativePatrol: return Words("职工代表巡查", "Worker representative's patrol")
        case .teamCrossCheck: return Words("班组互查", "Team cross-check")
        }
    }
}

extension LedgerStatus {
    var label: Words {
        switch self {
        case .pendingReview: return Words("待审核", "Pending review")
        case .rectifying: return Words("整改中", "Being rectified")
        case .awaitingVerification: return Words("待验收", "Awaiting verification")
        case .closed: return Words("已销号", "Closed")
        case .rejected: return Words("已驳回", "Rejected")
        case .merged: return Words("已合并", "Merged")
        }
    }
}

extension SuggestionStatus {
    var label: Words {
        switch self {
        case .received: return Words("已收到", "Received")
        case .underReview: return Words("评估中", "Under review")
        case .adopted: return Words("已采纳", "Adopted")
        case .notAdopted: return Words("未采纳", "Not adopted")
        }
    }
}

extension TrainingKind {
    var label: Words {
        switch self {
        case .training: return Words("安全培训", "Safety training")
        case .drill: return Words("应急演练", "Emergency drill")
        }
    }
}

extension LocalState {
    var label: Words {
        switch self {
        case .draft: return Words("草稿", "Draft")
        case .queued: return Words("待发送", "Waiting to send")
        case .synced: return Words("已发送", "Sent")
        case .failed: return Words("发送失败", "Refused")
        }
    }
}

/// The report form's state and its rules (the core's `validate_content`, same codes).
struct ReportForm: Equatable {
    var kind = ReportKind.hazard
    var category = Category.other
    var severity = Severity.general
    var atRisk: Set<AtRisk> = []
    var source = CheckSource.workerCheck
    var note = ""
    var workshop = ""
    var team = ""
    var siteCode: String?
    var location: Location?
    var anonymous = false
    var photos: [URL] = []

    static let maxPhotos = 9

    /// What is wrong, as (core error code, text); empty when it can be sent.
    var problems: [(code: String, text: Words)] {
        var out: [(String, Words)] = []
        let noteChars = note.trimmingCharacters(in: .whitespacesAndNewlines).unicodeScalars.count
        if photos.isEmpty && noteChars == 0 { out.append(("empty_report", Words("请拍照或填写说明", "Take a photo or write a note"))) }
        if kind == .hazard && photos.isEmpty { out.append(("hazard_without_photo", Words("隐患需要至少一张照片", "A hazard needs at least one photo"))) }
        if kind == .suggestion && severity == .major { out.append(("major_suggestion", Words("合理化建议不分重大", "A suggestion cannot be major"))) }
        if photos.count > Self.maxPhotos { out.append(("too_many_photos", Words("最多 9 张照片", "At most 9 photos"))) }
        if noteChars > 2000 { out.append(("note_too_long", Words("说明最多 2000 字", "The note is limited to 2000 characters"))) }
        if [workshop, team, siteCode ?? ""].contains(where: { $0.unicodeScalars.count > 64 }) {
            out.append(("field_too_long", Words("车间、班组或点位名称过长（最多 64 字）", "Workshop, team or site point too long (64 characters at most)")))
        }
        return out
    }

    /// The core's request; nil while there are problems.
    func request(draft: Bool) -> CaptureRequest? {
        guard problems.isEmpty else { return nil }
        func clean(_ s: String?) -> String? {
            let t = s?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return t.isEmpty ? nil : t
        }
        let content = ReportContent(
            kind: kind,
            category: category,
            severity: kind == .suggestion ? .general : severity,
            atRisk: AtRisk.allCases.filter { atRisk.contains($0) },
            source: source,
            note: note.trimmingCharacters(in: .whitespacesAndNewlines),
            workshop: clean(workshop),
            team: clean(team),
            siteCode: clean(siteCode),
            location: location,
            anonymous: anonymous
        )
        return CaptureRequest(photos: photos.map { .path(path: $0.path) }, content: content, capturedAt: nil, draft: draft)
    }
}

/// A scanned QR code: `hazardsnap://enroll?server=…&code=…`, `hazardsnap://site/CODE` or a bare
/// site code (the Android app reads the same formats).
enum QRCode: Equatable {
    case enrollment(server: String, code: String)
    case sitePoint(String)
    case unknown(Words)

    static func isCode(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    static func parse(_ raw: String) -> QRCode {
        let s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if isCode(s) { return .sitePoint(s) }
        let notOurs = QRCode.unknown(Words("这不是隐患随手拍的二维码", "This QR code is not one of hazardsnap's"))
        guard let url = URLComponents(string: s), url.scheme?.lowercased() == "hazardsnap" else { return notOurs }
        switch url.host?.lowercased() {
        case "site":
            let code = url.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            return isCode(code) ? .sitePoint(code) : .unknown(Words("点位编码无效", "The site point code is not valid"))
        case "enroll":
            let items = url.queryItems ?? []
            var server = items.first { $0.name == "server" }?.value?.trimmingCharacters(in: .whitespaces) ?? ""
            while server.hasSuffix("/") { server.removeLast() }
            let code = items.first { $0.name == "code" }?.value ?? ""
            guard server.hasPrefix("https://") || server.hasPrefix("http://") else {
                return .unknown(Words("注册码缺少服务器地址", "The enrollment code has no server address"))
            }
            return isCode(code) ? .enrollment(server: server, code: code) : .unknown(Words("注册码无效", "The enrollment code is not valid"))
        default:
            return notOurs
        }
    }
}

/// The status line of a report in "my reports".
func statusLine(_ r: ReportSummary) -> (title: Words, detail: Words?) {
    switch r.localState {
    case .draft: return (r.localState.label, Words("尚未发送，可以修改", "Not sent; can still be changed"))
    case .queued:
        return (r.localState.label, r.retryCount > 0
            ? Words("有网络时自动发送（已重试 \(r.retryCount) 次）", "Sent automatically when online (\(r.retryCount) retries so far)")
            : Words("有网络时自动发送", "Sent automatically when online"))
    case .failed: return (r.localState.label, r.failReason.map(Words.both) ?? Words("服务器拒收", "The server refused it"))
    case .synced:
        guard let status = r.server.status else {
            return (Words("已送达", "Delivered"), Words("等待企业工会审核", "Waiting for the enterprise union's review"))
        }
        let n = r.server.entryNumber
        // A suggestion shows its own status, the officer's reply under it (the Android app's
        // StatusTexts rules).
        if let s = r.server.suggestionStatus {
            let reply = r.server.reason.map { Words("答复：\($0)", "Reply: \($0)") }
            switch s {
            case .received: return (s.label, reply ?? n.map { Words("建议编号 \($0)", "Suggestion no. \($0)") })
            case .underReview: return (s.label, reply ?? Words("工会正在评估您的建议", "The union is looking into your suggestion"))
            case .adopted: return (s.label, r.server.reason.map(Words.both) ?? Words("您的建议已被采纳", "Your suggestion was adopted"))
            case .notAdopted: return (s.label, reply ?? Words("未说明理由", "No reason given"))
            }
        }
        let zhN = n.map { "（\($0)）" } ?? "", enN = n.map { " (\($0))" } ?? ""
        switch status {
        case .pendingReview: return (status.label, n.map { Words("台账编号 \($0)", "Ledger no. \($0)") })
        case .rectifying: return (status.label, Words("已确认为隐患，正在整改\(zhN)", "Confirmed; being rectified\(enN)"))
        case .awaitingVerification: return (status.label, Words("整改完成，等待验收\(zhN)", "Rectified; awaiting verification\(enN)"))
        // A closed report may carry the district's reward notice (with an anonymous finder's
        // redemption code, shown on this phone only).
        case .closed: return (status.label, r.server.reason.map(Words.both) ?? Words("已整改验收并销号\(zhN)", "Rectified, verified and closed\(enN)"))
        case .rejected: return (status.label, r.server.reason.map { Words("驳回理由：\($0)", "Reason: \($0)") } ?? Words("未说明理由", "No reason given"))
        case .merged: return (status.label, Words("与他人报告的同一隐患合并，您的发现仍然计入", "Merged with another report of the same hazard; your finding still counts"))
        }
    }
}

/// When to sync (the Android app's SyncPolicy rules).
enum SyncPolicy {
    /// How often the refresh task looks for status changes.
    static let refreshInterval: TimeInterval = 3600

    /// Whether a run may start now: enrolled, online, and not on an expensive network when the
    /// worker chose "only on Wi-Fi" (the core also refuses such a run itself).
    static func mayRun(enrolled: Bool, online: Bool, expensive: Bool, unmeteredOnly: Bool) -> Bool {
        enrolled && online && !(expensive && unmeteredOnly)
    }

    /// Whether to ask for a processing task that waits for the network: something is queued.
    static func needsProcessingTask(queued: UInt64) -> Bool { queued > 0 }
}

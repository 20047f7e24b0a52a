/// The app's state (应用状态) over the one Rust core of the process: the form, my reports with
/// the notices, the enrollment, and sync. The core locks its data folder, so the screens and the
/// background tasks share the one `HazardCore` opened here; Swift frees it when the model goes,
/// which is at process end.
import Foundation
import HazardsnapCore
import Network

@MainActor
final class AppModel: ObservableObject {
    static let shared = AppModel()

    @Published var form = ReportForm()
    @Published var formMessage: Words?
    @Published var showProblems = false
    @Published var reports: [ReportSummary] = []
    @Published var counts: OutboxCounts?
    @Published var notices: [Words] = []
    @Published var enrollment: Enrollment?
    /// The worker's own trainings and drills (我的培训), as the last sync brought them.
    @Published var trainings: MyTrainings?
    @Published var status: Words?
    @Published var busy = false

    private var core: HazardCore?
    private let monitor = NWPathMonitor()
    private(set) var online = false
    private(set) var expensive = false

    /// Statuses shown last, by report id, for the notices.
    private var seen: [String: String] {
        get { UserDefaults.standard.dictionary(forKey: "seenStatuses") as? [String: String] ?? [:] }
        set { UserDefaults.standard.set(newValue, forKey: "seenStatuses") }
    }

    var unmeteredOnly: Bool {
        get { UserDefaults.standard.bool(forKey: "unmeteredOnly") }
        set { UserDefaults.standard.set(newValue, forKey: "unmeteredOnly") }
    }

    private init() {
        monitor.pathUpdateHandler = { path in
            Task { @MainActor in
                AppModel.shared.online = path.status == .satisfied
                AppModel.shared.expensive = path.isExpensive
            }
        }
        monitor.start(queue: DispatchQueue(label: "org.hazardsnap.network"))
    }

    /// The one core, opened on first use in Application Support (backed up nowhere else).
    func openCore() async throws -> HazardCore {
        if let core { return core }
        let dir = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            .appendingPathComponent("hazardsnap", isDirectory: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        var url = dir
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try? url.setResourceValues(values)
        let opened = try await HazardCore.open(dataDir: dir.path)
        core = opened
        return opened
    }

    private func words(_ error: Error) -> Words {
        if let e = error as? HazardError {
            switch e {
            case let .InvalidReport(_, m), let .InvalidPhoto(_, _, m), let .InvalidArgument(_, m), let .NotFound(_, m),
                 let .NotEditable(_, m), let .Busy(_, m), let .Storage(_, m), let .Network(_, m),
                 let .NotEnrolled(_, m), let .Cancelled(_, m), let .Internal(_, m):
                return Words.both(m)
            }
        }
        return Words("出错了", "Something went wrong")
    }

    // MARK: capture

    /// Saves the report (offline); it is sent when a network is there.
    func submit(draft: Bool) async {
        guard let request = form.request(draft: draft) else {
            showProblems = true
            return
        }
        busy = true
        defer { busy = false }
        do {
            let core = try await openCore()
            _ = try await core.capture(request: request, listener: nil)
            for url in form.photos { try? FileManager.default.removeItem(at: url) }
            form = ReportForm(workshop: form.workshop, team: form.team, anonymous: form.anonymous)
            form.source = request.content.source
            showProblems = false
            formMessage = draft ? Words("已存为草稿", "Saved as a draft") : Words("已保存，有网络时自动发送", "Saved; it is sent when a network is there")
            if !draft {
                BackgroundSync.scheduleProcessing()
                await sync(workerAsked: false)
            }
        } catch {
            formMessage = words(error)
        }
    }

    func scanned(_ raw: String) {
        switch QRCode.parse(raw) {
        case let .sitePoint(code):
            form.siteCode = code
            formMessage = Words("点位：\(code)", "Site point: \(code)")
        case .enrollment:
            formMessage = Words("这是注册码，请在“设置”中扫描", "This is an enrollment code: scan it in Settings")
        case let .unknown(why):
            formMessage = why
        }
    }

    // MARK: my reports

    func refresh() async {
        do {
            let core = try await openCore()
            var rows: [ReportSummary] = []
            var cursor: String?
            repeat {
                let page = try await core.listReports(query: ListQuery(states: [], kind: nil, capturedFrom: nil, capturedBefore: nil, limit: 200, cursor: cursor))
                rows += page.items
                cursor = page.nextCursor
            } while cursor != nil
            counts = try await core.outboxCounts()
            enrollment = try await core.enrollment()
            trainings = try await core.myTrainings()
            var known = seen
            for r in rows {
                // The key of a status (the Android app's StatusTexts.key): local state, ledger
                // status, a suggestion's own status, and a closed report's notice.
                var key = "\(r.localState)/\(r.server.status.map { "\($0)" } ?? "-")"
                if let s = r.server.suggestionStatus { key += "/\(s)" }
                if r.server.status == .closed, let reason = r.server.reason { key += "#\(reason)" }
                if let before = known[r.id], before != key, r.localState == .synced, let s = r.server.status {
                    let n = r.server.entryNumber.map { "（\($0)）" } ?? ""
                    if let sug = r.server.suggestionStatus {
                        let reply = r.server.reason.map(Words.both)
                        notices.append(Words("您的建议\(n)：\(sug.label.zh)\(reply.map { "。\($0.zh)" } ?? "")", "Your suggestion: \(sug.label.en)\(reply.map { ". \($0.en)" } ?? "")"))
                    } else if s == .closed, let reason = r.server.reason {
                        let w = Words.both(reason)
                        notices.append(Words("您的「\(r.category.label.zh)」报告\(n)：\(w.zh)", "Your '\(r.category.label.en)' report: \(w.en)"))
                    } else {
                        notices.append(Words("您的「\(r.category.label.zh)」报告\(n)：\(s.label.zh)", "Your '\(r.category.label.en)' report: \(s.label.en)"))
                    }
                }
                known[r.id] = key
            }
            seen = known
            reports = rows
        } catch {
            status = words(error)
        }
    }

    /// One sync run, if the network allows; then the list again.
    func sync(workerAsked: Bool) async {
        if enrollment == nil {
            enrollment = try? await openCore().enrollment()
        }
        guard SyncPolicy.mayRun(enrolled: enrollment != nil || workerAsked, online: online, expensive: expensive, unmeteredOnly: unmeteredOnly) else {
            if workerAsked { status = Words("没有可用网络，恢复后自动发送", "No usable network; reports are sent when it is back") }
            return
        }
        do {
            let core = try await openCore()
            let r = try await core.sync(options: SyncOptions(meteredNetwork: expensive, ignoreBackoff: workerAsked), listener: nil, cancel: nil)
            status = r.skippedMetered ? Words("仅在 Wi-Fi 下发送：等待 Wi-Fi", "Only on Wi-Fi: waiting for Wi-Fi")
                : Words("已发送 \(r.uploaded) 份，收到 \(r.changesApplied) 条状态更新", "\(r.uploaded) sent, \(r.changesApplied) status updates")
        } catch {
            status = words(error)
        }
        await refresh()
    }

    // MARK: enrollment

    func enroll(scanned raw: String) async {
        switch QRCode.parse(raw) {
        case let .enrollment(server, code): await enroll(server: server, code: code)
        case .sitePoint: status = Words("这是点位码，请扫描企业工会发放的注册码", "This is a site point code: scan the enrollment code from your union")
        case let .unknown(why): status = why
        }
    }

    func enroll(server: String, code: String) async {
        busy = true
        defer { busy = false }
        do {
            let core = try await openCore()
            enrollment = try await core.enroll(serverUrl: server, code: code, deviceName: UIDeviceName.current)
            status = Words("注册成功", "Enrolled")
            BackgroundSync.scheduleRefresh()
        } catch {
            status = words(error)
        }
    }

    func setUnmeteredOnly(_ on: Bool) async {
        unmeteredOnly = on
        try? await openCore().setUnmeteredOnly(on: on)
    }
}

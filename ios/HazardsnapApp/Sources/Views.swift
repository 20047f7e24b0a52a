/// The SwiftUI screens (界面), the same as the Android app's: 随手拍 (photos and the report
/// form), 我的报告 (my reports with their status and the notices), 设置 (enrollment by QR code,
/// my trainings, "only on Wi-Fi"). Every text is Chinese first (`Words.shown` picks the phone's language).
import HazardsnapCore
import SwiftUI

struct RootView: View {
    var body: some View {
        TabView {
            CaptureView().tabItem { Label(Words("随手拍", "Report").shown, systemImage: "camera") }
            ReportsView().tabItem { Label(Words("我的报告", "My reports").shown, systemImage: "list.bullet") }
            SettingsView().tabItem { Label(Words("设置", "Settings").shown, systemImage: "gear") }
        }
    }
}

private struct ChoiceRow<T: Labelled>: View {
    let title: Words
    let values: [T]
    let isOn: (T) -> Bool
    let pick: (T) -> Void

    var body: some View {
        VStack(alignment: .leading) {
            Text(title.shown).font(.subheadline)
            ScrollView(.horizontal, showsIndicators: false) {
                HStack {
                    ForEach(values, id: \.self) { v in
                        Button(v.label.shown) { pick(v) }
                            .buttonStyle(.bordered)
                            .tint(isOn(v) ? .accentColor : .secondary)
                    }
                }
            }
        }
    }
}

struct CaptureView: View {
    @EnvironmentObject var model: AppModel
    @State private var camera = false
    @State private var scanning = false

    var body: some View {
        NavigationStack {
            Form {
                Section {
                    Button(Words("拍照（\(model.form.photos.count)/9）", "Photo (\(model.form.photos.count)/9)").shown) { camera = true }
                        .disabled(model.form.photos.count >= ReportForm.maxPhotos)
                    Button(Words("扫点位码", "Scan site point").shown) { scanning = true }
                    if let site = model.form.siteCode { Text(Words("点位：\(site)", "Site point: \(site)").shown) }
                }
                Section {
                    ChoiceRow(title: Words("类型", "Kind"), values: ReportKind.allCases, isOn: { $0 == model.form.kind }) {
                        model.form.kind = $0
                        if $0 == .suggestion { model.form.severity = .general }
                    }
                    ChoiceRow(title: Words("类别（六查）", "Category (six checks)"), values: Category.allCases, isOn: { $0 == model.form.category }) { model.form.category = $0 }
                    if model.form.kind == .hazard {
                        ChoiceRow(title: Words("隐患等级", "Severity"), values: Severity.allCases, isOn: { $0 == model.form.severity }) { model.form.severity = $0 }
                    }
                    ChoiceRow(title: Words("危及（四保）", "At risk (four protects)"), values: AtRisk.allCases, isOn: { model.form.atRisk.contains($0) }) { v in
                        if model.form.atRisk.contains(v) { model.form.atRisk.remove(v) } else { model.form.atRisk.insert(v) }
                    }
                    ChoiceRow(title: Words("发现方式（四查）", "Found by (four checks)"), values: CheckSource.allCases, isOn: { $0 == model.form.source }) { model.form.source = $0 }
                }
                Section {
                    TextField(Words("说明", "Note").shown, text: $model.form.note, axis: .vertical)
                    TextField(Words("车间", "Workshop").shown, text: $model.form.workshop)
                    TextField(Words("班组", "Team").shown, text: $model.form.team)
                    Toggle(Words("匿名上报（企业看不到您的姓名和手机）", "Anonymous (your enterprise does not see who sent it)").shown, isOn: $model.form.anonymous)
                }
                Section {
                    if model.showProblems {
                        ForEach(model.form.problems, id: \.code) { Text($0.text.shown).foregroundColor(.red) }
                    }
                    if let m = model.formMessage { Text(m.shown) }
                    Button(Words("保存并发送", "Save and send").shown) { Task { await model.submit(draft: false) } }.disabled(model.busy)
                    Button(Words("存草稿", "Save draft").shown) { Task { await model.submit(draft: true) } }.disabled(model.busy)
                }
            }
            .navigationTitle(Words("隐患随手拍", "Hazard Snap").shown)
            .sheet(isPresented: $camera) {
                CameraPicker { url in model.form.photos.append(url) }
            }
            .sheet(isPresented: $scanning) {
                QRScannerView { raw in
                    scanning = false
                    model.scanned(raw)
                }
            }
        }
    }
}

struct ReportsView: View {
    @EnvironmentObject var model: AppModel

    var body: some View {
        NavigationStack {
            List {
                if let c = model.counts {
                    Text(Words("待发送 \(c.queued) · 已发送 \(c.synced) · 草稿 \(c.draft)", "Waiting \(c.queued) · sent \(c.synced) · drafts \(c.draft)").shown)
                }
                if let s = model.status { Text(s.shown).font(.footnote) }
                ForEach(model.reports, id: \.id) { r in
                    let line = statusLine(r)
                    VStack(alignment: .leading) {
                        Text("\(r.category.label.shown) · \(r.severity.label.shown)").font(.headline)
                        Text(r.notePreview.isEmpty ? Words("（无说明）", "(no note)").shown : r.notePreview)
                        Text(line.title.shown).foregroundColor(r.localState == .failed || r.server.status == .rejected ? .red : .blue)
                        if let d = line.detail { Text(d.shown).font(.footnote) }
                    }
                }
            }
            .navigationTitle(Words("我的报告", "My reports").shown)
            .toolbar { Button(Words("立即发送", "Send now").shown) { Task { await model.sync(workerAsked: true) } } }
            .refreshable { await model.sync(workerAsked: true) }
            .task { await model.refresh() }
            .alert(Words("报告有新进展", "Your reports moved on").shown, isPresented: Binding(get: { !model.notices.isEmpty }, set: { if !$0 { model.notices = [] } })) {
                Button(Words("知道了", "OK").shown) { model.notices = [] }
            } message: {
                Text(model.notices.map(\.shown).joined(separator: "\n"))
            }
        }
    }
}

struct SettingsView: View {
    @EnvironmentObject var model: AppModel
    @State private var scanning = false
    @State private var server = ""
    @State private var code = ""
    @State private var wifiOnly = UserDefaults.standard.bool(forKey: "unmeteredOnly")

    var body: some View {
        NavigationStack {
            Form {
                Section {
                    if let e = model.enrollment {
                        Text(Words("已注册到：\(e.enterpriseName)（\(e.enterpriseCode)）", "Enrolled with \(e.enterpriseName) (\(e.enterpriseCode))").shown)
                    } else {
                        Text(Words("请扫描企业工会发放的注册二维码", "Scan the enrollment QR code from your enterprise union").shown)
                    }
                    Button(Words("扫码注册", "Scan to enroll").shown) { scanning = true }
                    TextField(Words("服务器地址", "Server address").shown, text: $server).textInputAutocapitalization(.never)
                    TextField(Words("注册码", "Enrollment code").shown, text: $code).textInputAutocapitalization(.never)
                    Button(Words("手动注册", "Enroll by hand").shown) { Task { await model.enroll(server: server, code: code) } }
                        .disabled(server.isEmpty || code.isEmpty || model.busy)
                    if let s = model.status { Text(s.shown).font(.footnote) }
                }
                Section(header: Text(Words("我的培训", "My trainings").shown)) {
                    if let t = model.trainings, t.worker != nil {
                        Text(Words("今年培训与演练 \(t.hoursThisYear) 小时", "\(t.hoursThisYear) hours this year").shown)
                        ForEach(t.trainings, id: \.id) { item in
                            VStack(alignment: .leading) {
                                Text(item.topic)
                                Text("\(item.date) · \(item.kind.label.shown) · \(item.hours) h").font(.footnote)
                            }
                        }
                    } else {
                        Text(Words("本机尚未关联职工，请企业工会关联后同步", "This phone is not linked to a worker yet; ask your enterprise union, then sync").shown)
                            .font(.footnote)
                    }
                }
                Section {
                    Toggle(Words("仅在 Wi-Fi 下发送", "Send only on Wi-Fi").shown, isOn: $wifiOnly)
                        .onChange(of: wifiOnly) { on in Task { await model.setUnmeteredOnly(on) } }
                    Text(Words("核心版本 \(coreVersion())", "Core version \(coreVersion())").shown).font(.footnote)
                }
            }
            .navigationTitle(Words("设置", "Settings").shown)
            .sheet(isPresented: $scanning) {
                QRScannerView { raw in
                    scanning = false
                    Task { await model.enroll(scanned: raw) }
                }
            }
            .task { await model.refresh() }
        }
    }
}

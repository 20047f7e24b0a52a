/// The app's entry point (应用入口) and its background sync with BGTaskScheduler: a processing
/// task that waits for the network when reports are queued, and an app-refresh task that looks
/// for status changes about every hour. Both run one sync on the process's one core.
import BackgroundTasks
import SwiftUI
import UIKit

@main
struct HazardsnapApp: App {
    @Environment(\.scenePhase) private var phase

    init() {
        BackgroundSync.register()
    }

    var body: some Scene {
        WindowGroup {
            RootView().environmentObject(AppModel.shared)
        }
        .onChange(of: phase) { phase in
            switch phase {
            case .active:
                Task { await AppModel.shared.sync(workerAsked: false) }
            case .background:
                BackgroundSync.scheduleRefresh()
                if let queued = AppModel.shared.counts?.queued, SyncPolicy.needsProcessingTask(queued: queued) {
                    BackgroundSync.scheduleProcessing()
                }
            default:
                break
            }
        }
    }
}

/// The device name sent at enrollment.
enum UIDeviceName {
    @MainActor static var current: String { UIDevice.current.name }
}

/// The BGTaskScheduler tasks (identifiers also in Info.plist, BGTaskSchedulerPermittedIdentifiers).
enum BackgroundSync {
    static let processing = "org.hazardsnap.app.sync"
    static let refresh = "org.hazardsnap.app.refresh"

    static func register() {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: processing, using: nil) { task in
            run(task)
        }
        BGTaskScheduler.shared.register(forTaskWithIdentifier: refresh, using: nil) { task in
            scheduleRefresh()
            run(task)
        }
    }

    /// One sync; the task ends when it does, or is cancelled when iOS says time is up (the
    /// core commits as it goes, so a cut run loses nothing).
    private static func run(_ task: BGTask) {
        let work = Task { @MainActor in
            await AppModel.shared.sync(workerAsked: false)
            let queued = AppModel.shared.counts?.queued ?? 0
            if SyncPolicy.needsProcessingTask(queued: queued) { scheduleProcessing() }
            task.setTaskCompleted(success: true)
        }
        task.expirationHandler = {
            work.cancel()
            task.setTaskCompleted(success: false)
        }
    }

    /// A processing task that waits for the network: queued reports go as soon as it is there.
    static func scheduleProcessing() {
        let request = BGProcessingTaskRequest(identifier: processing)
        request.requiresNetworkConnectivity = true
        request.requiresExternalPower = false
        try? BGTaskScheduler.shared.submit(request)
    }

    /// The next look for status changes.
    static func scheduleRefresh() {
        let request = BGAppRefreshTaskRequest(identifier: refresh)
        request.earliestBeginDate = Date(timeIntervalSinceNow: SyncPolicy.refreshInterval)
        try? BGTaskScheduler.shared.submit(request)
    }
}

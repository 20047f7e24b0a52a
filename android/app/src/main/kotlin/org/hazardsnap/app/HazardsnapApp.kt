/**
 * The application object (应用进程): owns the one Rust core of the process.
 *
 * The core locks its data folder: a second `HazardCore` on the same folder fails with `Busy`,
 * so the activity, the view models and the WorkManager worker all share the one opened here,
 * lazily, on a background dispatcher (opening runs migrations). It is never closed: it lives
 * as long as the process, and the OS reclaims it with the process. The data folder is in the
 * app's private files (not the cache: unsent reports exist nowhere else).
 *
 * TLS: the core speaks HTTPS through rustls with the Mozilla root certificates compiled in
 * (reqwest's `rustls-tls`), chosen on purpose: the same verification on Android, iOS and the
 * desktop CLI, no JNI initialisation, no platform verifier to set up. The price: a server must
 * have a certificate from a public CA; a private enterprise CA installed on the phone is not
 * trusted by the core (Android's network security config does not apply to Rust's sockets).
 */
package org.hazardsnap.app

import android.app.Application
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import org.hazardsnap.app.core.CoreBackend
import org.hazardsnap.app.sync.SyncScheduler
import org.hazardsnap.logic.Lang
import java.util.Locale

class HazardsnapApp : Application() {
    /** Work that outlives a screen (the core's opening, sync requests). */
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** The one core of the process. */
    val core: Deferred<CoreBackend> by lazy {
        scope.async(Dispatchers.IO) {
            CoreBackend.open(filesDir.resolve("hazardsnap").path)
        }
    }

    /** Schedules background sync through WorkManager. */
    val syncScheduler: SyncScheduler by lazy { SyncScheduler(this) }

    override fun onCreate() {
        super.onCreate()
        // The periodic job looks for status changes even when nothing waits to be sent.
        syncScheduler.ensurePeriodic()
    }

    companion object {
        /** The language of the screens: Chinese unless the phone is set to another language. */
        fun lang(): Lang = if (Locale.getDefault().language == "zh" || Locale.getDefault().language.isEmpty()) Lang.ZH else Lang.EN
    }
}

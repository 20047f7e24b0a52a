/**
 * Background sync with WorkManager (后台发送): carries out the decisions of
 * [org.hazardsnap.logic.SyncPolicy]. A one-off job runs when the network the worker allows is
 * there (any, or unmetered with "only on Wi-Fi"); a periodic job looks for status changes every
 * hour. WorkManager keeps both across reboots and retries a job that asks for it with
 * exponential backoff.
 */
package org.hazardsnap.app.sync

import android.content.Context
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import org.hazardsnap.logic.Network
import org.hazardsnap.logic.NetworkRequirement
import org.hazardsnap.logic.SyncPolicy
import java.util.concurrent.TimeUnit

class SyncScheduler(private val context: Context) {
    private val work get() = WorkManager.getInstance(context)
    private val prefs get() = context.getSharedPreferences("sync", Context.MODE_PRIVATE)

    /** The worker's "only on Wi-Fi" (仅在 Wi-Fi 下发送) choice, mirrored for the constraints. */
    var unmeteredOnly: Boolean
        get() = prefs.getBoolean("unmetered_only", false)
        set(v) = prefs.edit().putBoolean("unmetered_only", v).apply()

    private fun constraints(requirement: NetworkRequirement) = Constraints.Builder()
        .setRequiredNetworkType(if (requirement == NetworkRequirement.UNMETERED) NetworkType.UNMETERED else NetworkType.CONNECTED)
        .build()

    private fun requirement() = if (unmeteredOnly) NetworkRequirement.UNMETERED else NetworkRequirement.CONNECTED

    /** A one-off sync as soon as the allowed network is there; replaces a waiting one. */
    fun requestSoon(requirement: NetworkRequirement = requirement()) {
        val request = OneTimeWorkRequestBuilder<SyncWorker>()
            .setConstraints(constraints(requirement))
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, SyncPolicy.FIRST_BACKOFF.seconds, TimeUnit.SECONDS)
            .build()
        work.enqueueUniqueWork(ONE_OFF, ExistingWorkPolicy.REPLACE, request)
    }

    /** The hourly look for status changes (kept if already scheduled). */
    fun ensurePeriodic() {
        val request = PeriodicWorkRequestBuilder<SyncWorker>(SyncPolicy.PERIODIC.toMinutes(), TimeUnit.MINUTES)
            .setConstraints(constraints(requirement()))
            .build()
        work.enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.UPDATE, request)
    }

    /** Stops every job (the device must be enrolled again). */
    fun cancelAll() {
        work.cancelUniqueWork(ONE_OFF)
        work.cancelUniqueWork(PERIODIC)
    }

    /** The network the phone has now. */
    fun network(): Network {
        val cm = context.getSystemService(ConnectivityManager::class.java) ?: return Network.NONE
        val caps = cm.getNetworkCapabilities(cm.activeNetwork) ?: return Network.NONE
        if (!caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)) return Network.NONE
        return if (caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED)) Network.UNMETERED else Network.METERED
    }

    companion object {
        const val ONE_OFF = "hazardsnap-sync"
        const val PERIODIC = "hazardsnap-sync-periodic"
    }
}

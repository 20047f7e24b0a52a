/**
 * The WorkManager job that sends the outbox and fetches status changes (后台同步任务). One run
 * of [SyncJob]: success, retry (WorkManager's exponential backoff), or stop when the device must
 * be enrolled again. It uses the process's one core, so it never competes with the screens for
 * the data folder.
 */
package org.hazardsnap.app.sync

import android.content.Context
import androidx.work.CoroutineWorker
import androidx.work.WorkerParameters
import org.hazardsnap.app.HazardsnapApp
import org.hazardsnap.logic.JobResult
import org.hazardsnap.logic.SyncJob

class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val app = applicationContext as HazardsnapApp
        val core = app.core.await()
        val (result, _) = SyncJob.run(core, app.syncScheduler.network(), runAttemptCount)
        return when (result) {
            JobResult.SUCCESS -> Result.success()
            JobResult.RETRY -> Result.retry()
            JobResult.STOP -> {
                app.syncScheduler.cancelAll()
                Result.failure()
            }
        }
    }
}

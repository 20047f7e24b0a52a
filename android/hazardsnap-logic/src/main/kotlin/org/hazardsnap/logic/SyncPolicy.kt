/**
 * When to sync (同步时机): the decisions behind Android's WorkManager jobs and iOS's
 * BGTaskScheduler requests, as plain functions of the situation, so that they are tested here
 * and the platform code only carries them out.
 *
 * A worker on the shop floor often has no signal: a report is stored at once and sent when a
 * network is there. The rules:
 * - nothing to do before enrollment (the core has no token);
 * - something queued: ask the platform for a run as soon as a network is there, an unmetered
 *   one when the worker chose "only on Wi-Fi"; a worker who pressed "send" is not made to wait
 *   for the reports' backoff;
 * - nothing queued: still look for status changes now and then (the periodic job), so that
 *   "my reports" shows what the union did;
 * - after a run: reports still pending after a transient error mean "retry later with
 *   backoff"; the token refused means "enroll again", never a retry loop.
 */
package org.hazardsnap.logic

import java.time.Duration

/** The network the phone has now. */
enum class Network { NONE, METERED, UNMETERED }

/** Why a sync is being considered. */
enum class SyncTrigger {
    /** A report was just captured. */
    CAPTURED,

    /** The worker pressed "send now" (立即发送). */
    WORKER_ASKED,

    /** The periodic job woke up. */
    PERIODIC,

    /** The app came to the foreground. */
    APP_OPENED,
}

/** What the platform needs to know to decide. */
data class SyncSituation(
    val enrolled: Boolean,
    val queued: Long,
    val network: Network,
    val unmeteredOnly: Boolean,
    val trigger: SyncTrigger,
)

/** The network a job must wait for. */
enum class NetworkRequirement { CONNECTED, UNMETERED }

/** What to do. */
sealed interface SyncDecision {
    /** Run now, telling the core whether the network is metered and whether the worker asked. */
    data class RunNow(val metered: Boolean, val workerAsked: Boolean) : SyncDecision

    /** Schedule a one-off job that runs when [network] is there. */
    data class WhenNetwork(val network: NetworkRequirement) : SyncDecision

    /** Nothing to do now ([reason] for the log and the settings screen). */
    data class Idle(val reason: Text) : SyncDecision
}

/** What a finished run means for the next one. */
sealed interface AfterRun {
    /** Done; the periodic job carries on. */
    data object Done : AfterRun

    /** Some reports still wait after a transient error: run again after [delay]. */
    data class RetryLater(val delay: Duration) : AfterRun

    /** The device must be enrolled again: stop scheduling until it is. */
    data object EnrollAgain : AfterRun
}

/** The sync scheduling rules. */
object SyncPolicy {
    /** How often the periodic job looks for status changes (WorkManager's minimum is 15 min). */
    val PERIODIC: Duration = Duration.ofHours(1)

    /** The first retry delay after a transient error; doubles up to [MAX_BACKOFF]. */
    val FIRST_BACKOFF: Duration = Duration.ofSeconds(30)
    val MAX_BACKOFF: Duration = Duration.ofHours(6)

    /** What to do in [s]. */
    fun decide(s: SyncSituation): SyncDecision {
        if (!s.enrolled) return SyncDecision.Idle(Text("设备尚未注册", "The device is not enrolled"))
        val needs = if (s.unmeteredOnly) NetworkRequirement.UNMETERED else NetworkRequirement.CONNECTED
        val usable = when (s.network) {
            Network.NONE -> false
            Network.METERED -> !s.unmeteredOnly
            Network.UNMETERED -> true
        }
        val workerAsked = s.trigger == SyncTrigger.WORKER_ASKED
        return when {
            usable -> when {
                s.queued > 0 || workerAsked || s.trigger != SyncTrigger.CAPTURED ->
                    SyncDecision.RunNow(metered = s.network == Network.METERED, workerAsked = workerAsked)
                else -> SyncDecision.Idle(Text("没有待发送的报告", "Nothing waits to be sent"))
            }
            s.queued > 0 || workerAsked -> SyncDecision.WhenNetwork(needs)
            else -> SyncDecision.Idle(Text("没有网络，也没有待发送的报告", "No network and nothing to send"))
        }
    }

    /** What follows a run that ended with [result] after [attempt] earlier failed runs. */
    fun after(result: SyncResult, attempt: Int): AfterRun =
        if (result.pending > 0 && result.lastError != null && !result.skippedMetered) {
            AfterRun.RetryLater(backoff(attempt))
        } else {
            AfterRun.Done
        }

    /** What follows a run that failed outright with [failure]. */
    fun after(failure: CoreFailure, attempt: Int): AfterRun = when (failure.kind) {
        FailureKind.NOT_ENROLLED -> AfterRun.EnrollAgain
        else -> AfterRun.RetryLater(backoff(attempt))
    }

    /** 30 s, 60 s, 120 s… up to 6 h. */
    fun backoff(attempt: Int): Duration {
        val shift = attempt.coerceIn(0, 20)
        val d = FIRST_BACKOFF.multipliedBy(1L shl shift)
        return if (d > MAX_BACKOFF) MAX_BACKOFF else d
    }
}

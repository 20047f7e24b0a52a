/**
 * What "my reports" (我的报告) says about each report, and the notices (通知) a worker gets
 * when the server moved one of their reports along the ledger's closed loop.
 *
 * A report's line combines where it is on the phone (draft, waiting, sent, refused) with what
 * the server made of it (the ledger status, the ledger number, a merge or a rejection reason).
 * Notices are the differences between two looks at the list: the app keeps the statuses it
 * showed last (by report id) and announces every report whose status moved since.
 */
package org.hazardsnap.logic

/** The tone of a status, for the badge's colour. */
enum class Tone { NEUTRAL, WAITING, PROGRESS, DONE, PROBLEM }

/** What a report's line shows. */
data class StatusLine(val title: Text, val detail: Text?, val tone: Tone)

/** The words of the report lines. */
object StatusTexts {
    /** The line of [row]. */
    fun of(row: ReportRow): StatusLine = when (row.localState) {
        LocalState.DRAFT -> StatusLine(LocalState.DRAFT.label, Text("尚未发送，可以修改", "Not sent; can still be changed"), Tone.NEUTRAL)
        LocalState.QUEUED -> StatusLine(
            LocalState.QUEUED.label,
            if (row.retryCount > 0) {
                Text("有网络时自动发送（已重试 ${row.retryCount} 次）", "Sent automatically when online (${row.retryCount} retries so far)")
            } else {
                Text("有网络时自动发送", "Sent automatically when online")
            },
            Tone.WAITING,
        )
        LocalState.FAILED -> StatusLine(
            LocalState.FAILED.label,
            row.failReason?.let { Text.ofBoth(it) } ?: Text("服务器拒收", "The server refused it"),
            Tone.PROBLEM,
        )
        LocalState.SYNCED -> synced(row.server)
    }

    private fun synced(s: ServerState): StatusLine {
        s.suggestion?.let { return suggestion(it, s) }
        val number = s.entryNumber
        val status = s.status ?: return StatusLine(
            Text("已送达", "Delivered"),
            Text("等待企业工会审核", "Waiting for the enterprise union's review"),
            Tone.PROGRESS,
        )
        val title = status.label
        val detail: Text? = when (status) {
            LedgerStatus.PENDING_REVIEW -> number?.let { Text("台账编号 $it", "Ledger no. $it") }
            LedgerStatus.RECTIFYING -> Text("已确认为隐患，正在整改${numberZh(number)}", "Confirmed; being rectified${numberEn(number)}")
            LedgerStatus.AWAITING_VERIFICATION -> Text("整改完成，等待验收${numberZh(number)}", "Rectified; awaiting verification${numberEn(number)}")
            // A closed report may carry the district's reward notice (with an anonymous
            // finder's redemption code, shown on this phone only).
            LedgerStatus.CLOSED -> s.reason?.let { Text.ofBoth(it) }
                ?: Text("已整改验收并销号${numberZh(number)}", "Rectified, verified and closed${numberEn(number)}")
            LedgerStatus.REJECTED -> s.reason?.let { Text("驳回理由：$it", "Reason: $it") } ?: Text("未说明理由", "No reason given")
            LedgerStatus.MERGED -> s.mergedInto?.let { Text("与他人报告的同一隐患合并到 $it，您的发现仍然计入", "Same hazard as another report, merged into $it; your finding still counts") }
                ?: Text("与他人报告的同一隐患合并，您的发现仍然计入", "Merged with another report of the same hazard; your finding still counts")
        }
        val tone = when (status) {
            LedgerStatus.PENDING_REVIEW -> Tone.PROGRESS
            LedgerStatus.RECTIFYING, LedgerStatus.AWAITING_VERIFICATION -> Tone.PROGRESS
            LedgerStatus.CLOSED, LedgerStatus.MERGED -> Tone.DONE
            LedgerStatus.REJECTED -> Tone.PROBLEM
        }
        return StatusLine(title, detail, tone)
    }

    /** A suggestion's line: its own status, the officer's reply under it. */
    private fun suggestion(status: SuggestionStatus, s: ServerState): StatusLine {
        val reply = s.reason?.let { Text("答复：$it", "Reply: $it") }
        val detail = when (status) {
            SuggestionStatus.RECEIVED -> reply ?: s.entryNumber?.let { Text("建议编号 $it", "Suggestion no. $it") }
            SuggestionStatus.UNDER_REVIEW -> reply ?: Text("工会正在评估您的建议", "The union is looking into your suggestion")
            // An adopted suggestion may carry the reward notice instead of the reply.
            SuggestionStatus.ADOPTED -> s.reason?.let { Text.ofBoth(it) } ?: Text("您的建议已被采纳", "Your suggestion was adopted")
            SuggestionStatus.NOT_ADOPTED -> reply ?: Text("未说明理由", "No reason given")
        }
        val tone = when (status) {
            SuggestionStatus.RECEIVED, SuggestionStatus.UNDER_REVIEW -> Tone.PROGRESS
            SuggestionStatus.ADOPTED -> Tone.DONE
            SuggestionStatus.NOT_ADOPTED -> Tone.NEUTRAL
        }
        return StatusLine(status.label, detail, tone)
    }

    private fun numberZh(n: String?) = n?.let { "（$it）" } ?: ""
    private fun numberEn(n: String?) = n?.let { " ($it)" } ?: ""

    /**
     * The key a status is remembered by between two looks: local state and ledger status, and
     * for a closed report its notice (a reward granted after closing is news too).
     */
    fun key(row: ReportRow): String {
        val base = row.localState.wire + "/" + (row.server.status?.wire ?: "-") +
            (row.server.suggestion?.let { "/${it.wire}" } ?: "")
        val reason = row.server.reason
        return if (row.server.status == LedgerStatus.CLOSED && reason != null) "$base#${reason.hashCode()}" else base
    }
}

/** One notice for the worker: a report of theirs moved. */
data class Notice(val reportId: String, val text: Text)

/** Finds the notices between two looks at the list. */
object Notices {
    /**
     * The notices for [rows], given the status keys shown last ([seen], by report id). A report
     * never seen before gives none (the worker just made it); nor does a move that the phone
     * made itself (draft to queued). The new keys to remember are [StatusTexts.key] of [rows].
     */
    fun between(seen: Map<String, String>, rows: List<ReportRow>): List<Notice> = rows.mapNotNull { row ->
        val before = seen[row.id] ?: return@mapNotNull null
        if (before == StatusTexts.key(row)) return@mapNotNull null
        val what = row.category.label
        val n = row.server.entryNumber
        val text = when {
            row.localState == LocalState.FAILED ->
                Text("您的「${what.zh}」报告被服务器拒收", "Your '${what.en}' report was refused by the server")
            row.localState != LocalState.SYNCED -> null
            row.server.status == null ->
                Text("您的「${what.zh}」报告已送达", "Your '${what.en}' report was delivered")
            row.server.suggestion != null -> {
                val s = row.server.suggestion
                val r = row.server.reason?.let { Text.ofBoth(it) }
                Text(
                    "您的建议${n?.let { "（$it）" } ?: ""}：${s.label.zh}${r?.let { "。${it.zh}" } ?: ""}",
                    "Your suggestion${n?.let { " ($it)" } ?: ""}: ${s.label.en}${r?.let { ". ${it.en}" } ?: ""}",
                )
            }
            row.server.status == LedgerStatus.CLOSED && row.server.reason != null -> {
                val r = Text.ofBoth(row.server.reason)
                Text(
                    "您的「${what.zh}」报告${n?.let { "（$it）" } ?: ""}：${r.zh}",
                    "Your '${what.en}' report${n?.let { " ($it)" } ?: ""}: ${r.en}",
                )
            }
            else -> {
                val s = row.server.status
                Text(
                    "您的「${what.zh}」报告${n?.let { "（$it）" } ?: ""}：${s.label.zh}",
                    "Your '${what.en}' report${n?.let { " ($it)" } ?: ""}: ${s.label.en}",
                )
            }
        }
        text?.let { Notice(row.id, it) }
    }

    /** What to remember after showing [rows]. */
    fun remember(rows: List<ReportRow>): Map<String, String> = rows.associate { it.id to StatusTexts.key(it) }
}

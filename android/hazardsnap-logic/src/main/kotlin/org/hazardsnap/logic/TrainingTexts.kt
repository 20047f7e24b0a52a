/**
 * What "my trainings" (我的培训) says: the worker's own training sessions and emergency drills
 * as the last sync brought them, and this year's hours against the campaign's plan (every
 * worker trained at least once a year).
 */
package org.hazardsnap.logic

/** The words of the trainings section. */
object TrainingTexts {
    /** The heading line: who, and this year's hours; or why the list is empty. */
    fun summary(m: MyTrainings): Text = when {
        m.worker == null -> Text(
            "本机尚未关联职工，请企业工会关联后同步",
            "This phone is not linked to a worker yet; ask your enterprise union, then sync",
        )
        m.trainings.isEmpty() -> Text("今年尚无培训记录", "No training recorded yet")
        else -> Text("今年培训与演练 ${hours(m.hoursThisYear)} 小时", "${hours(m.hoursThisYear)} hours of training and drills this year")
    }

    /** One record's line. */
    fun line(t: TrainingItem): Text =
        Text("${t.date} ${t.kind.label.zh}：${t.topic}（${hours(t.hours)} 小时）", "${t.date} ${t.kind.label.en}: ${t.topic} (${hours(t.hours)} h)")

    private fun hours(h: Double): String = if (h == Math.floor(h)) h.toLong().toString() else h.toString()
}

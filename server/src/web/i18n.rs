//! The pages' message catalogue (界面文字): every string of every page, in Simplified Chinese
//! (the default) and English, as one struct with one field per message. A message missing in
//! either language is a compile error, not a blank on a screen. Vocabulary labels (statuses,
//! categories…) come from the model's `Labelled` tables instead; messages of refusals from the
//! rules (`中文 / English`) are split by [`localize`].

use hazardsnap_model::Lang;

macro_rules! texts {
    ($($key:ident: $zh:literal, $en:literal;)*) => {
        /// Every message of the pages, in one language.
        #[allow(missing_docs)]
        #[derive(Debug)]
        pub struct Texts {
            $(pub $key: &'static str,)*
        }

        /// 简体中文.
        pub const ZH: Texts = Texts { $($key: $zh,)* };
        /// English.
        pub const EN: Texts = Texts { $($key: $en,)* };
    };
}

texts! {
    app_name: "隐患随手拍", "Hazard Snapshots";
    app_tagline: "查身边隐患　保职工安全　促企业发展", "Find the hazards around you · keep workers safe · help enterprises develop";
    lang_switch: "English", "中文";
    lp: "（", " (";
    rp: "）", ")";
    colon: "：", ": ";
    sep: "、", ", ";
    skip_to_content: "跳到正文", "Skip to content";
    nav_workbench: "工作台", "Workbench";
    nav_review: "待审核", "Review";
    nav_ledger: "隐患台账", "Ledger";
    nav_stats: "统计", "Statistics";
    nav_rewards: "奖励名单", "Rewards";
    nav_monthly: "月报", "Monthly";
    nav_training: "培训演练", "Training";
    nav_supervision: "督导", "Supervision";
    nav_map: "关键点", "Site points";
    nav_admin: "管理", "Admin";
    logout: "退出", "Log out";
    signed_in_as: "当前用户", "Signed in as";

    login_title: "工作人员登录", "Officer login";
    login_username: "用户名", "Username";
    login_password: "密码", "Password";
    login_submit: "登录", "Log in";
    login_failed: "用户名或密码错误", "Wrong username or password";
    login_throttled: "登录失败次数过多，请稍后再试", "Too many failed logins: try again later";
    login_hint: "请使用区总工会分配的账号登录。", "Use the account the district union federation gave you.";

    wb_title: "工作台", "Workbench";
    wb_needs_me: "待我处理", "What needs me now";
    wb_to_review: "待审核报告", "Reports to review";
    wb_due_soon: "7 天内到期", "Due within 7 days";
    wb_overdue: "已逾期", "Overdue";
    wb_escalated: "挂牌督办", "Escalated to the bureau";
    wb_awaiting: "待验收", "Awaiting verification";
    wb_this_month: "本月进展", "This month";
    wb_trend: "近六个月", "The last six months";
    wb_found: "发现", "Found";
    wb_closed: "销号", "Closed";
    wb_open: "查看", "Open";
    wb_monthly_due: "{month}月报请于 {due}前报送", "The monthly report for {month} is due by {due}";
    wb_monthly_late: "{month}月报已逾期（截止 {due}），请尽快报送", "The monthly report for {month} is overdue (due {due}): submit it now";
    wb_monthly_missing: "{month}月报尚未报送的镇街（截止 {due}）：{towns}", "Towns yet to submit the report for {month} (due {due}): {towns}";
    wb_monthly_missing_late: "{month}月报逾期未报送的镇街（截止 {due}）：{towns}", "Towns late with the report for {month} (due {due}): {towns}";
    wb_monthly_open: "前往月报", "Go to the monthly report";

    st_found_general: "一般隐患", "General hazards";
    st_found_major: "重大隐患", "Major hazards";
    st_rectified: "已整改", "Rectified";
    st_rate: "整改率", "Rectification rate";
    st_overdue: "逾期", "Overdue";
    st_escalated: "挂牌督办", "Escalated";
    st_suggestions: "合理化建议", "Suggestions";
    st_workers: "参与职工", "Workers taking part";

    rv_title: "待审核报告", "Reports to review";
    rv_empty: "没有待审核的报告。", "No reports waiting for review.";
    rv_keys: "快捷键：j 下一条，k 上一条，Enter 打开，c 确认，r 驳回", "Keys: j next, k previous, Enter open, c confirm, r reject";
    rv_reports: "份报告", "reports";
    rv_possible_dup: "疑似重复", "Possible duplicate";

    en_title: "台账条目", "Ledger entry";
    en_back: "返回台账", "Back to the ledger";
    en_photos: "现场照片", "Photos";
    en_after_photos: "整改后照片", "After-photos";
    en_before_after: "整改前后对比", "Before and after";
    en_before: "整改前", "Before";
    en_after: "整改后", "After";
    en_where: "地点", "Where";
    en_site_point: "关键点", "Site point";
    en_workshop: "车间", "Workshop";
    en_team: "班组", "Team";
    en_gps: "定位", "GPS";
    en_note: "描述", "Note";
    en_category: "类别", "Category";
    en_severity: "等级", "Severity";
    en_source: "发现方式（四查）", "Found by (four checks)";
    en_at_risk: "危及（四保）", "At risk (four protects)";
    en_first_finder: "首报人", "First finder";
    en_other_finders: "其他上报人", "Other finders";
    en_captured: "拍摄时间", "Captured";
    en_received: "收到时间", "Received";
    en_plan: "整改方案（五到位）", "Rectification plan (five in place)";
    en_no_plan: "尚未制定整改方案。", "No plan yet.";
    en_responsible: "责任", "Responsible";
    en_measures: "措施", "Measures";
    en_funds: "资金（元）", "Funds (yuan)";
    en_deadline: "时限", "Deadline";
    en_contingency: "预案", "Contingency";
    en_level: "整改层级", "Level";
    en_history: "处理经过", "History";
    en_filing: "系统", "System";
    en_actions: "处理", "Actions";
    en_no_actions: "当前状态下没有可执行的操作。", "Nothing can be done in this state.";
    en_duplicate_title: "疑似重复：与下列条目可能是同一隐患", "Possibly the same hazard as this entry";
    en_same_hazard: "是同一隐患：合并", "Same hazard: merge";
    en_not_same: "不是同一隐患", "Not the same";
    en_print_notice: "打印整改通知书", "Print the rectification notice";
    en_rectified_note: "整改说明", "Rectification note";
    en_extension: "延期申请", "Extension request";
    en_requested_deadline: "申请的新时限", "Requested deadline";

    act_confirm: "确认并制定整改方案", "Confirm with a plan";
    act_reject: "驳回", "Reject";
    act_reason: "理由", "Reason";
    act_merge: "合并为重复", "Merge as a duplicate";
    act_merge_into: "并入条目编号", "Merge into entry number";
    act_rectified: "整改完成", "Mark rectified";
    act_photos: "整改后照片（可多张）", "After-photos (one or more)";
    act_verify: "验收", "Verify";
    act_accept: "验收通过，销号", "Accept and close";
    act_send_back: "退回整改", "Send back";
    act_escalate: "提请挂牌督办", "Escalate to the bureau";
    act_request_extension: "申请延期", "Request an extension";
    act_decide_extension: "审批延期", "Decide the extension";
    act_approve: "批准", "Approve";
    act_refuse: "不批准", "Refuse";
    act_submit: "提交", "Submit";
    act_note: "意见", "Note";
    act_split: "拆分", "Split out";

    done_confirm: "已确认，整改方案已登记。", "Confirmed: the plan is recorded.";
    done_reject: "已驳回。", "Rejected.";
    done_merge: "已合并到目标条目。", "Merged into the other entry.";
    done_not_duplicate: "已标记为不是同一隐患。", "Marked as not the same hazard.";
    done_rectified: "已登记整改完成，等待验收。", "Rectification recorded: awaiting verification.";
    done_verify_accept: "验收通过，已销号。", "Verified and closed.";
    done_verify_return: "已退回整改。", "Sent back for rectification.";
    done_escalate: "已提请安监局挂牌督办。", "Escalated to the work-safety bureau.";
    done_request_extension: "延期申请已提交。", "Extension requested.";
    done_decide_extension: "延期申请已审批。", "Extension decided.";
    done_split: "已拆分为新条目。", "Split into a new entry.";
    form_has_errors: "请更正下列标出的内容。", "Please correct what is marked below.";

    sv_title: "挂牌督办", "Listed supervision";
    sv_requested: "已提请，待安监局受理", "Escalated: awaiting the bureau";
    sv_listed: "挂牌", "Listed";
    sv_declined: "安监局不予挂牌", "Declined by the bureau";
    sv_lifted: "已摘牌", "Lifted";
    sv_state: "状态", "State";
    sv_unit: "督办单位", "Supervising unit";
    sv_deadline: "督办时限", "The bureau's deadline";
    sv_by: "决定人", "Decided by";
    sv_at: "决定时间", "Decided at";
    sv_requested_by: "提请人", "Escalated by";
    sv_requested_at: "提请时间", "Escalated at";
    sv_note: "理由/意见", "Reason or note";
    sv_listed_hint: "挂牌督办的隐患由安监局验收摘牌，企业不能自行销号。", "A listed hazard is verified and lifted by the bureau: the enterprise cannot close it.";
    act_accept_supervision: "受理，挂牌督办", "Accept and list";
    act_decline_supervision: "不予挂牌", "Decline";
    act_lift: "验收通过，摘牌销号", "Verify, lift and close";
    act_reclassify: "调整类别/等级", "Change the category or severity";
    act_transfer: "移交其他企业", "Transfer to another enterprise";
    act_transfer_to: "移交给", "Transfer to";
    done_accept_supervision: "已受理，该隐患挂牌督办。", "Accepted: the hazard is listed.";
    done_decline_supervision: "已不予挂牌，理由已记录；该隐患交回工会处理。", "Declined, with the reason recorded: the unions carry on.";
    done_reclassify: "类别/等级已调整，已记入处理经过。", "Reclassified: recorded in the history.";
    done_transfer: "已移交：这是目标企业台账中的新条目。", "Transferred: this is the new entry in the other enterprise's ledger.";
    done_filed_entry: "已登记隐患。", "The hazard is filed.";

    nav_notices: "待办提醒", "Notices";
    nt_title: "待办提醒", "Notices";
    nt_hint: "根据台账实时计算，处理后自动消失。", "Computed from the ledger as it stands: each goes away once dealt with.";
    nt_new_reports: "辖区内新上报、待审核", "New reports in my jurisdiction to review";
    nt_due_soon: "3 天内到期", "Due within 3 days";
    nt_overdue: "已逾期", "Overdue";
    nt_escalated_to_me: "提请我局挂牌督办、待受理", "Escalated to me, awaiting my decision";
    nt_awaiting_lift: "挂牌隐患已整改、待验收摘牌", "Listed hazards rectified, awaiting verification and lifting";
    nt_monthly: "月报", "Monthly report";
    nt_empty: "目前没有待办提醒。", "Nothing needs you now.";
    nt_all: "查看全部", "See all";
    nt_more: "仅列出前 {n} 条", "Only the first {n} are listed";
    wb_notices: "待办提醒", "Notices";

    ne_title: "登记隐患", "File a hazard";
    ne_link: "登记隐患（检查发现/热线举报）", "File a hazard (inspection or hotline)";
    ne_hint: "工作人员检查发现或热线举报的隐患，登记后与职工上报的隐患一样进入台账；照片会压缩并去除位置等信息。", "A hazard found on an inspection or reported on the hotline: once filed it enters the ledger like a worker's report; photos are resized and stripped of location and other metadata.";
    ne_source: "来源", "Source";
    ne_site: "关键点位编码（选填）", "Site point code (optional)";
    ne_inspection: "检查发现", "Inspection";
    ne_hotline: "热线举报", "Hotline";
    ne_photos: "现场照片（可多张，最多 {n} 张）", "Photos (one or more, at most {n})";
    ne_submit: "登记", "File";

    rg_title: "奖励发放登记", "Reward register";
    nav_suggestions: "合理化建议（金点子）", "Safety suggestions";
    sg_title: "合理化建议（金点子）", "Safety suggestions";
    sg_hint: "职工提出的安全生产合理化建议。评估后答复职工（答复会显示在职工手机上）；采纳或不采纳一经决定不能更改，不采纳须说明理由；采纳的建议进入奖励名单。", "Workers' safety suggestions. Reply after looking into each (the reply shows on the worker's phone); adopting or not is final, not adopting needs a reason; adopted suggestions join the reward lists.";
    sg_empty: "辖区内还没有合理化建议。", "No suggestions in your jurisdiction yet.";
    sg_category: "类别", "Category";
    sg_proposer: "建议人", "Proposed by";
    sg_received: "收到时间", "Received";
    sg_reply: "答复", "Reply";
    sg_move: "处理为", "Move to";
    sg_reply_label: "答复职工（不采纳时必填）", "Reply to the worker (required when not adopting)";
    sg_submit: "提交", "Submit";
    done_suggestion: "已处理，答复将随下次同步显示在职工手机上。", "Done; the reply reaches the worker's phone at its next sync.";
    rg_link: "奖励发放登记", "Reward register";
    rg_lists: "返回奖励名单", "Back to the reward lists";
    rg_hint: "发现并整改的重大隐患、被采纳的合理化建议，由区总工会审批发放；同一隐患或建议只奖励一次；匿名上报人凭手机收到的兑奖码兑付，系统不记姓名。", "Major hazards found and fixed and adopted suggestions are rewarded by the district union, once each; an anonymous finder is paid against the code their phone received, and no name is recorded.";
    rg_grant: "发放奖励", "Grant a reward";
    rg_subject: "奖励对象", "What it rewards";
    rg_no_candidates: "奖励名单中没有待发放的项目。", "Nothing on the reward lists waits for a grant.";
    rg_amount: "金额（元）", "Amount (yuan)";
    rg_kind: "奖励类别", "For";
    rg_rewarded: "获奖人", "Rewarded";
    rg_approved_by: "审批人", "Approved by";
    rg_granted_at: "发放登记时间", "Granted at";
    rg_paid_on: "兑付日期", "Paid on";
    rg_paid_by: "兑付人", "Paid by";
    rg_mark_paid: "登记兑付", "Record payment";
    rg_by_code: "凭兑奖码兑付", "Paid against its code";
    rg_redeem: "兑奖码兑付（匿名奖励）", "Redeem a code (anonymous rewards)";
    rg_code: "兑奖码", "Code";
    rg_redeem_submit: "兑付", "Redeem";
    rg_export: "导出 Excel", "Export Excel";
    rg_empty: "尚无奖励发放记录。", "No rewards granted yet.";
    done_grant: "奖励已登记发放。", "The reward is granted.";
    done_paid: "已登记兑付。", "The payment is recorded.";
    done_redeem: "兑奖码有效，已兑付。", "The code is valid: the reward is paid.";
    fe_amount: "金额须为元，最多两位小数，如 500 或 500.00", "Enter an amount in yuan, at most two decimals, such as 500 or 500.00";

    lg_title: "隐患台账", "Hazard ledger";
    lg_filters: "筛选", "Filter";
    lg_all: "全部", "All";
    lg_enterprise: "企业", "Enterprise";
    lg_town: "镇街", "Town";
    lg_status: "状态", "Status";
    lg_overdue_only: "仅逾期", "Overdue only";
    lg_escalated_only: "仅挂牌督办", "Escalated only";
    lg_from: "起始日期", "From";
    lg_to: "截止日期", "To";
    lg_sort: "排序", "Sort";
    lg_sort_newest: "最新在前", "Newest first";
    lg_sort_oldest: "最早在前", "Oldest first";
    lg_sort_deadline: "按时限", "By deadline";
    lg_sort_number: "按编号", "By number";
    lg_apply: "查询", "Apply";
    lg_reset: "清除", "Clear";
    lg_number: "编号", "No.";
    lg_found: "发现时间", "Found";
    lg_reporters: "参与职工", "Reporters";
    lg_total: "共", "Total";
    lg_entries: "条", "entries";
    lg_page: "页", "page";
    lg_prev: "上一页", "Previous";
    lg_next: "下一页", "Next";
    lg_export_xlsx: "导出 Excel", "Export Excel";
    lg_export_csv: "导出 CSV", "Export CSV";
    lg_print: "打印台账", "Print the ledger";
    lg_empty: "没有符合条件的条目。", "No entries match.";
    lg_yes: "是", "yes";

    stat_title: "统计", "Statistics";
    stat_month: "月份", "Month";
    stat_by_town: "按镇街", "By town";
    stat_by_enterprise: "按企业", "By enterprise";
    stat_by_category: "按类别", "By category";
    stat_by_severity: "按等级", "By severity";
    stat_by_month: "近十二个月", "The last twelve months";
    stat_count: "数量", "Count";
    stat_previous: "上月", "Previous month";

    pr_notice_title: "隐患整改通知书", "Rectification notice";
    pr_to: "致", "To";
    pr_body: "经查，你单位存在下列安全生产隐患，请按整改方案落实“五到位”，在时限内整改完毕，并将整改情况报送。", "The following hazard was found at your enterprise. Put the five in place of the plan into effect, finish the rectification by the deadline and report back.";
    pr_issued_by: "签发单位", "Issued by";
    pr_date: "日期", "Date";
    pr_signature: "签收", "Received by";
    pr_print: "打印", "Print";
    pr_ledger_title: "隐患台账（打印）", "Hazard ledger (print)";

    rw_title: "奖励名单", "Reward lists";
    rw_major: "发现并整改的重大隐患", "Major hazards found and fixed";
    rw_suggestion: "被采纳的合理化建议", "Adopted suggestions";
    rw_finder: "发现人", "Finder";
    rw_at: "时间", "When";
    rw_empty: "该期间没有奖励名单。", "Nothing to reward in this period.";

    dr_title: "督导随机抽查", "Supervision draws";
    dr_new: "新的抽查", "New draw";
    dr_n: "抽取企业数", "Enterprises to draw";
    dr_seed: "随机种子（可留空）", "Seed (may be left empty)";
    dr_draw: "抽取", "Draw";
    dr_drawn: "抽中企业", "Drawn";
    dr_reproducible: "可复核", "Reproducible";
    dr_by: "抽取人", "Drawn by";
    dr_empty: "尚无抽查记录。", "No draws yet.";
    dr_visits: "督导检查记录", "Supervision visits";
    dr_record_visit: "登记督导", "Record a visit";
    dr_hint: "高危行业（化工、非煤矿山、冶金、建筑、交通、建材，尤其危险化学品）与非公中小企业优先；记录种子，任何人可复核。", "High-risk industries first (chemicals, non-coal mining, metallurgy, construction, transport, building materials; hazardous chemicals above all) and private SMEs; the seed is recorded so anyone can check the draw.";

    mo_title: "月报", "Monthly report";
    mo_towns: "各镇街月报", "The towns' reports";
    mo_due: "报送截止", "Due";
    mo_submitted: "已报送", "Submitted";
    mo_draft: "未报送", "Not submitted";
    mo_late: "逾期", "Late";
    mo_submitted_at: "报送时间", "Submitted at";
    mo_submitted_by: "报送人", "Submitted by";
    mo_district_total: "全区合计", "District total";
    mo_summary: "已报送 {n}/{of} 个镇街，逾期 {late} 个。", "{n} of {of} towns submitted, {late} late.";
    mo_not_over_note: "本月尚未结束：数字为截至目前的数字。", "This month is not over: the figures are as of now.";
    mo_figures: "月报数字", "Figures";
    mo_item: "项目", "Item";
    mo_value: "数值", "Value";
    mo_live: "未报送：数字随台账实时变化。", "Not submitted: the figures follow the ledger as it changes.";
    mo_frozen: "已报送：数字为报送时的数字，此后台账的变化不改变本月报。", "Submitted: the figures are as they were when submitted; later changes to the ledger do not alter them.";
    mo_remarks: "说明", "Remarks";
    mo_history: "报送经过", "History";
    mo_ev_submit: "报送", "Submitted";
    mo_ev_reopen: "退回", "Reopened";
    mo_submit: "报送月报", "Submit the report";
    mo_submit_hint: "报送后数字即固定；如需修改，须由区总工会退回。", "Once submitted the figures are fixed; only the district can reopen the report.";
    mo_not_over: "本月尚未结束，月末后才能报送。", "This month is not over yet: it can be submitted once it ends.";
    mo_reopen: "退回重报", "Reopen";
    mo_reopen_reason: "退回原因", "Reason for reopening";
    mo_back: "返回各镇街月报", "Back to the towns' reports";
    mo_history_empty: "尚未报送过。", "Never submitted yet.";
    fig_found_general: "发现一般隐患", "General hazards found";
    fig_found_major: "发现重大隐患", "Major hazards found";
    fig_rectified: "本月整改销号", "Closed this month";
    fig_rate: "整改率", "Rectification rate";
    fig_open: "月末未整改", "Open at month end";
    fig_overdue: "其中逾期", "of which overdue";
    fig_escalated: "其中挂牌督办", "of which escalated";
    fig_suggestions: "合理化建议", "Suggestions";
    fig_adopted: "建议采纳", "Suggestions adopted";
    fig_participants: "参与职工", "Workers taking part";
    fig_trainings: "安全培训（次）", "Training sessions";
    fig_trainees: "培训人数", "People trained";
    fig_drills: "应急演练（次）", "Emergency drills";
    done_submit: "月报已报送。", "The report is submitted.";
    done_reopen: "月报已退回，镇街可重新报送。", "The report is reopened: the town can submit it again.";

    tr_title: "培训演练", "Training and drills";
    tr_year: "年度", "Year";
    tr_kind: "类型", "Kind";
    tr_plan_hint: "要求：每名职工每年至少参加一次安全培训；每个企业每年至少开展两次应急演练，每个班组都要参加。", "The plan: every worker trained at least once a year; every enterprise holds at least two drills a year, with every team taking part.";
    tr_by_town: "各镇街覆盖情况", "Coverage by town";
    tr_by_enterprise: "各企业覆盖情况（未达标在前）", "Coverage by enterprise (behind the plan first)";
    tr_workers: "职工", "Workers";
    tr_trained: "已培训", "Trained";
    tr_rate: "培训率", "Training rate";
    tr_enterprises: "企业", "Enterprises";
    tr_drilled: "演练两次以上", "Two drills or more";
    tr_on_plan_n: "达标企业", "On plan";
    tr_trainings: "培训（次）", "Trainings";
    tr_drills: "演练（次）", "Drills";
    tr_teams_missing: "未演练班组", "Teams not drilled";
    tr_untrained: "未培训职工", "Workers not trained";
    tr_on_plan: "达标", "On plan";
    tr_behind: "未达标", "Behind plan";
    tr_and_more: "等 {n} 人", "and {n} more";
    tr_records: "培训演练记录", "Records";
    tr_date: "日期", "Date";
    tr_topic: "主题", "Topic";
    tr_hours: "学时", "Hours";
    tr_people: "人数", "People";
    tr_findings: "发现问题", "Findings";
    tr_filed_n: "{filed}/{n} 已登记", "{filed} of {n} filed";
    tr_empty: "没有符合条件的记录。", "No records match.";
    tr_coverage_empty: "辖区内没有企业。", "No enterprises in your jurisdiction.";
    tr_new: "登记培训/演练", "Record a training or a drill";
    tr_trainer: "授课人/组织者", "Trainer or organiser";
    tr_attendees: "参加职工（名册中的职工编号，每行一个，或用空格、逗号分隔）", "Attending workers (their roster codes, one per line or separated by spaces or commas)";
    tr_outside: "名册外参训人数", "Trainees not in the roster";
    tr_drill_only: "仅应急演练填写", "For a drill only";
    tr_scenario: "演练情景", "Scenario";
    tr_teams: "参演班组（每行一个：车间/班组）", "Teams taking part (one per line: workshop/team)";
    tr_findings_input: "演练发现的问题（每行一条）", "What the drill found (one per line)";
    tr_record: "登记", "Record";
    tr_back: "返回培训演练", "Back to training and drills";
    tr_recorded_by: "登记人", "Recorded by";
    tr_recorded_at: "登记时间", "Recorded at";
    tr_attendee_list: "参加职工", "Attendees";
    tr_code: "职工编号", "Worker code";
    tr_name: "姓名", "Name";
    tr_teams_list: "参演班组", "Teams";
    tr_no_findings: "没有发现问题。", "Nothing was found.";
    tr_filed_as: "已登记为隐患", "Filed as hazard";
    tr_file: "登记为隐患", "File as a hazard";
    tr_choose: "请选择", "Choose";
    done_training: "已登记。", "Recorded.";
    done_filed: "已登记为隐患，见台账条目。", "Filed as a hazard: see the ledger entry.";
    fe_date: "请填写有效日期", "Enter a valid date";
    fe_hours: "学时须为数字，如 2 或 1.5", "Hours must be a number, such as 2 or 1.5";
    fe_count: "人数须为不小于零的整数", "Enter a whole number, zero or more";
    fe_team_line: "班组请按「车间/班组」逐行填写：{line}", "Write each team as workshop/team on its own line: {line}";
    fe_choose: "请选择一项", "Choose one";

    vi_title: "督导检查", "Supervision visits";
    vi_hint: "督导组到抽中的企业检查“查保促”活动开展情况；高危行业企业每年至少督导一次。", "The supervision team visits the enterprises drawn and checks the campaign's work; every high-risk enterprise at least once a year.";
    vi_coverage: "年度督导覆盖（高危行业在前）", "The year's coverage (high-risk industries first)";
    vi_summary: "高危行业企业已督导 {hv}/{h} 家；全部企业已督导 {v}/{n} 家。", "High-risk enterprises visited: {hv} of {h}; all enterprises: {v} of {n}.";
    vi_industry: "行业", "Industry";
    vi_high_risk: "高危", "High risk";
    vi_visits: "督导次数", "Visits";
    vi_last: "最近督导", "Last visit";
    vi_rating: "评价", "Rating";
    vi_not_visited: "未督导", "Not visited";
    vi_list: "督导检查记录", "Visits";
    vi_empty: "尚无督导检查记录。", "No visits yet.";
    vi_new: "登记督导检查", "Record a supervision visit";
    vi_draw: "来自哪次抽查", "From which draw";
    vi_no_draw: "不关联抽查", "No draw";
    vi_team: "督导组成员（每行一人）", "Team members (one per line)";
    vi_checked: "检查内容", "What was checked";
    vi_findings_input: "发现问题（每行一条）", "Findings (one per line)";
    vi_remarks: "备注", "Remarks";
    vi_team_label: "督导组", "Team";
    vi_from_draw: "抽查", "Draw";
    vi_back: "返回督导检查", "Back to supervision visits";
    vi_record: "登记", "Record";
    done_visit: "督导检查已登记。", "The visit is recorded.";

    mp_title: "现场关键点", "Site points";
    mp_map_title: "在办隐患地图", "Open hazards on the map";
    mp_map_hint: "圆点为在办隐患（红色：重大；加粗边框：逾期），点击查看条目。", "Each dot is an open hazard (red: major; thick border: overdue); click one to open its entry.";
    mp_map_unplaced: "{n} 个在办条目无定位，未在图上显示", "{n} open entries have no location and are not on the map";
    mp_map_beyond: "另有 {n} 个较早的在办条目未显示（地图最多显示 {limit} 个）", "{n} older open entries are not drawn (the map shows at most {limit})";
    mp_map_loading: "正在载入地图……", "Loading the map…";
    mp_map_failed: "地图数据载入失败，请刷新页面。", "The map's data did not load: reload the page.";
    mp_list_title: "关键点列表", "Site points as a list";
    mp_open: "在办条目", "Open entries";
    mp_no_tiles: "未配置地图服务，以列表显示。", "No map tile server is configured: shown as a list.";
    mp_code: "编号", "Code";
    mp_name: "名称", "Name";
    mp_radius: "范围（米）", "Radius (m)";

    ad_title: "管理", "Administration";
    ad_officers: "工作人员", "Officers";
    ad_role: "角色", "Role";
    ad_scope: "辖区", "Scope";
    ad_active: "在册", "Active";
    ad_codes: "注册码", "Enrollment codes";
    ad_code: "注册码", "Code";
    ad_qr: "二维码（张贴于公告栏，职工扫码注册）", "QR code (for the notice board: workers scan it to enroll)";
    ad_print_qr: "打印二维码", "Print the QR code";
    ad_devices: "已注册手机", "Enrolled phones";
    ad_device: "手机名称", "Phone";
    ad_enrolled: "注册时间", "Enrolled";
    ad_revoke: "注销（丢失的手机）", "Revoke (lost phone)";
    ad_revoked: "已注销", "Revoked";
    ad_import: "导入组织名册", "Import the roster";
    ad_import_file: "名册文件（TOML）", "Roster file (TOML)";
    ad_preview: "预览变化", "Preview the changes";
    ad_apply: "确认导入", "Import";
    ad_changes: "将要发生的变化", "What will change";
    ad_no_changes: "名册与当前一致，导入不会改变任何内容。", "The roster matches: importing changes nothing.";
    ad_imported: "名册已导入。", "Roster imported.";
    ad_district_only: "仅区总工会可以管理。", "Only the district may administer.";

    err_not_found: "未找到，或不在您的辖区内。", "Not found, or not in your jurisdiction.";
    err_forbidden: "您的账号不能执行此操作。", "Your account may not do this.";
    err_internal: "服务器内部错误，请稍后重试。", "Internal error: please try again later.";
    err_title: "出错了", "Something went wrong";
    err_home: "返回工作台", "Back to the workbench";
    none: "无", "none";
    anonymous: "匿名", "anonymous";
}

/// The catalogue of a language.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// The part of a `中文 / English` message in the reader's language (the rules' refusals carry
/// both). A message without the separator is returned whole.
pub fn localize(message: &str, lang: Lang) -> String {
    let split = message
        .char_indices()
        .find(|(i, c)| *c == '/' && message[i + 1..].starts_with(' '))
        .map(|(i, _)| i);
    match (split, lang) {
        (Some(i), Lang::Zh) => message[..i].trim_end().to_owned(),
        (Some(i), Lang::En) => message[i + 1..].trim_start().to_owned(),
        (None, _) => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_by_language() {
        let m = "缺少「理由」/ 'reason' is required";
        assert_eq!(localize(m, Lang::Zh), "缺少「理由」");
        assert_eq!(localize(m, Lang::En), "'reason' is required");
        assert_eq!(localize("plain", Lang::En), "plain");
        assert_ne!(ZH.login_title, EN.login_title);
    }
}

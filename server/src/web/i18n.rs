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
    skip_to_content: "跳到正文", "Skip to content";
    nav_workbench: "工作台", "Workbench";
    nav_review: "待审核", "Review";
    nav_ledger: "隐患台账", "Ledger";
    nav_stats: "统计", "Statistics";
    nav_rewards: "奖励名单", "Rewards";
    nav_draws: "督导抽查", "Supervision";
    nav_map: "关键点", "Site points";
    nav_admin: "管理", "Administration";
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
    dr_hint: "高危行业（化工、非煤矿山、冶金、建筑、交通、建材，尤其危险化学品）与非公中小企业优先；记录种子，任何人可复核。", "High-risk industries first (chemicals, non-coal mining, metallurgy, construction, transport, building materials; hazardous chemicals above all) and private SMEs; the seed is recorded so anyone can check the draw.";

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

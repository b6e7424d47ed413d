//! Languages: zh-CN by default, English on request (a `lang` query or
//! cookie, then `Accept-Language`). Page words live in one dictionary.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
    pub fn is_en(self) -> bool {
        self == Lang::En
    }

    fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("en") {
            Some(Lang::En)
        } else if tag.starts_with("zh") {
            Some(Lang::Zh)
        } else {
            None
        }
    }

    /// Decide from a request: `?lang=`, then the `lang` cookie, then Accept-Language.
    pub fn of(parts: &Parts) -> Lang {
        if let Some(q) = parts.uri.query() {
            for pair in q.split('&') {
                if let Some(v) = pair.strip_prefix("lang=") {
                    if let Some(l) = Lang::from_tag(v) {
                        return l;
                    }
                }
            }
        }
        if let Some(l) =
            crate::cookies::cookie(&parts.headers, "lang").and_then(|v| Lang::from_tag(&v))
        {
            return l;
        }
        if let Some(accept) = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        {
            // The first listed language we speak wins; quality values are in the usual descending order.
            for tag in accept.split(',') {
                if let Some(l) = Lang::from_tag(tag.split(';').next().unwrap_or("")) {
                    return l;
                }
            }
        }
        Lang::Zh
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::of(parts))
    }
}

/// A case's state (`CaseState::name()`) for people.
pub fn case_state(lang: Lang, name: &str) -> &'static str {
    let (zh, en) = match name {
        "submitted" => ("已提交", "Submitted"),
        "correction_requested" => ("待补正", "Correction requested"),
        "not_accepted" => ("不予受理", "Not accepted"),
        "in_process" => ("办理中", "In process"),
        "suspended" => ("特别程序中", "Special procedure"),
        "approved" => ("准予许可", "Approved"),
        "refused" => ("不予许可", "Refused"),
        "delivered" => ("已办结", "Delivered"),
        "withdrawn" => ("已撤回", "Withdrawn"),
        _ => return "??",
    };
    lang.pick(zh, en)
}

/// The page dictionary: a key and its two renderings.
pub fn t(lang: Lang, key: &str) -> &'static str {
    static BY_KEY: std::sync::LazyLock<std::collections::HashMap<&str, (&str, &str)>> =
        std::sync::LazyLock::new(|| WORDS.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect());
    match BY_KEY.get(key) {
        Some((zh, en)) => lang.pick(zh, en),
        // A missing key shows itself, so it is noticed rather than rendered blank.
        None => "??",
    }
}

/// The page dictionary's words: a key, its Chinese and its English.
const WORDS: &[(&str, &str, &str)] = &[
    ("site", "阳光政务", "Sunshine e-Government"),
    ("city", "杭州市", "Hangzhou"),
    ("home", "首页", "Home"),
    ("catalog", "权力事项目录", "Power-item catalogue"),
    ("search", "搜索", "Search"),
    ("search_hint", "事项名称或编码", "Item name or code"),
    ("all_types", "全部类型", "All types"),
    ("type", "事项类型", "Type"),
    ("code", "事项编码", "Code"),
    ("name", "事项名称", "Name"),
    ("department", "实施主体", "Implementing body"),
    ("handled_on", "办理平台", "Handled on"),
    ("handled_on_note", "本平台受理后转该区县平台办理，办理进度与结果由其回传", "taken here and handed to the district's platform, which reports its progress and result back"),
    ("region", "区划", "Region"),
    ("state", "状态", "State"),
    ("version", "版本", "Version"),
    ("effective", "生效日期", "Effective"),
    ("results", "条结果", "results"),
    ("none_found", "没有找到符合条件的事项", "No items match"),
    ("guide", "办事指南", "Service guide"),
    ("legal_basis", "设定依据", "Legal basis"),
    ("conditions", "受理条件", "Conditions"),
    ("materials", "申请材料", "Required materials"),
    ("limits", "办理时限", "Time limits"),
    ("legal_limit", "法定时限", "Legal limit"),
    ("promised_limit", "承诺时限", "Promised limit"),
    ("fees", "收费", "Fees"),
    ("no_fee", "不收费", "No fee"),
    ("steps", "办理流程", "Process"),
    ("post", "岗位", "Post"),
    ("duty", "职责", "Duty"),
    ("limit", "时限", "Limit"),
    ("not_counted", "不计入法定时限", "not counted in the legal limit"),
    ("min_visits", "最多跑动次数", "Visits in person at most"),
    ("supervision_phone", "监督电话", "Supervision phone"),
    ("discretion", "裁量基准", "Discretion standards"),
    ("accepting_body", "受理机构", "Accepting body"),
    ("deciding_body", "决定机构", "Deciding body"),
    ("level", "层级", "Level"),
    ("copies", "份数", "Copies"),
    ("original", "原件", "Original"),
    ("required", "必需", "Required"),
    ("login", "登录", "Sign in"),
    ("logout", "退出", "Sign out"),
    ("login_name", "登录名", "Login"),
    ("password", "密码", "Password"),
    ("workbench", "工作台", "Workbench"),
    ("panorama", "全景视图", "Panoramic view"),
    ("new_item", "编制新事项", "Draft a new item"),
    ("edit", "修改", "Edit"),
    ("save", "保存", "Save"),
    ("declare", "申报", "Declare"),
    ("review", "审核通过", "Pass review"),
    ("approve", "批准", "Approve"),
    ("publish", "入库", "Enter into the library"),
    ("return", "退回", "Return to draft"),
    ("reason", "理由", "Reason"),
    ("new_version", "编制新版本", "Open a new version"),
    ("history", "流转记录", "History"),
    ("import_export", "导入导出", "Import and export"),
    ("import", "导入", "Import"),
    ("export", "导出", "Export"),
    ("file", "文件", "File"),
    ("format", "格式", "Format"),
    ("total", "合计", "Total"),
    ("by_state", "按状态", "By state"),
    ("by_type", "按类型", "By type"),
    ("by_region", "按区划", "By region"),
    ("by_department", "按部门", "By department"),
    ("signed_in_as", "当前用户", "Signed in as"),
    ("actor", "操作人", "Actor"),
    ("time", "时间", "Time"),
    ("event", "事件", "Event"),
    ("portal_intro", 
        "杭州市权力阳光电子政务平台：查询行政权力事项及办事指南，了解办理条件、材料、时限和收费。",
        "Hangzhou's sunshine e-government platform: find administrative power items and their service guides — conditions, materials, time limits and fees.",
    ),
    ("not_found", "页面不存在", "Page not found"),
    ("error", "出错了", "Something went wrong"),
    ("back", "返回", "Back"),
    ("prev", "上一页", "Previous"),
    ("next", "下一页", "Next"),
    ("all_states", "全部状态", "All states"),
    ("filter", "筛选", "Filter"),
    ("lines_hint", "每行一项", "One per line"),
    ("returned_reason", "退回理由", "Returned because"),
    ("sensitive", "涉密/敏感事项（不对外公开）", "Sensitive (never shown publicly)"),
    ("form", "申请表字段", "Application form fields"),
    ("my_items", "事项列表", "Items"),
    ("actions", "操作", "Actions"),
    ("board", "阳光公示", "Sunshine board"),
    ("board_intro", 
        "全市行政权力事项办件实时公示：申请人已按规定隐去个人信息。",
        "Every case of the city's power items, live; applicants are masked as the law requires.",
    ),
    ("board_stats", "办件统计", "Case figures"),
    ("supervision_board", "电子监察公示", "Supervision board"),
    ("supervision_board_intro", 
        "本季度各部门的预警、黄牌、红牌及整改情况，由电子监察系统实时生成；不含任何办件或个人信息。",
        "Warnings, yellow and red cards and their rectification per department this quarter, from electronic supervision; no case or person appears here.",
    ),
    ("quarter", "季度", "Quarter"),
    ("no_signals", "暂无监察信号", "No signals"),
    ("number", "编号", "Number"),
    ("description", "诉求内容", "What it is about"),
    ("address", "地址", "Address"),
    ("kiosk", "96345 便民服务", "96345 citizens' services"),
    ("kiosk_intro", 
        "用上下方向键选择诉求类别，按确认键提交。",
        "Choose what it is about with the arrow keys, and press Enter to send.",
    ),
    ("kiosk_taken", "已受理，您的工单号是", "Taken. Your request's number is"),
    ("kiosk_follow", "可拨打96345凭工单号查询办理进度。", "Call 96345 with this number to follow it."),
    ("kiosk_again", "再提一件", "Ask about something else"),
    ("nearby", "家门口的服务", "Services near home"),
    ("nearby_intro", 
        "输入家庭住址，查看周边5公里内的社区服务中心、家政服务联盟和居家养老服务，由近及远。",
        "Give a home address to see the community service centres, housekeeping-alliance providers and elderly care within 5 km, nearest first.",
    ),
    ("nearby_none", "5公里内没有这类服务", "None of these within 5 km"),
    ("distance", "距离", "Distance"),
    ("service_name", "名称", "Name"),
    ("service_kind", "类别", "Kind"),
    ("phone", "电话", "Phone"),
    ("hours", "服务时间", "Hours"),
    ("knowledge", "热线知识库", "Hotline knowledge base"),
    ("knowledge_intro", 
        "政府信息和城市公共信息的常见问题解答，按词语检索。",
        "Answers to common questions on government and city information, searched by words.",
    ),
    ("knowledge_placeholder", "例如：怎么提取公积金", "e.g. how to withdraw the housing fund"),
    ("knowledge_none", "没有找到相关答案，请拨打96345。", "No answer found; please call 96345."),
    ("hotline_console", "96345 热线工作台", "96345 hotline workbench"),
    ("take_call", "受理来电", "Take a call"),
    ("caller_says", "来电人说", "The caller says"),
    ("look_up", "查询", "Look up"),
    ("caller_history", "该来电人的历史诉求", "This caller's earlier requests"),
    ("suggested", "建议类别", "Suggested"),
    ("caller_phone", "来电号码", "Caller's phone"),
    ("caller_name", "来电人", "Caller"),
    ("hotline_queue", "待热线处理", "Waiting on the hotline"),
    ("hotline_inbox", "本单位工单", "Sent to my unit"),
    ("hotline_request", "工单", "Request"),
    ("deadline", "期限", "Deadline"),
    ("escalated", "已督办", "Escalated"),
    ("my_requests", "我的诉求", "My requests"),
    ("note", "意见", "Note"),
    ("satisfied", "满意", "Satisfied"),
    ("unsatisfied", "不满意", "Unsatisfied"),
    ("internal", "内部", "internal"),
    ("answer_directly", "直办答复", "Answer directly"),
    ("dispatch", "派单", "Dispatch"),
    ("sign", "签收", "Sign for it"),
    ("ticket_return", "退单", "Return it"),
    ("review_return", "审核退单", "Review the return"),
    ("request_extension", "申请延期", "Ask for more time"),
    ("review_extension", "审核延期", "Review the extension"),
    ("review_answer", "审核办结", "Review the answer"),
    ("visit", "回访", "Return visit"),
    ("urge", "催办", "Urge"),
    ("hotline_dashboard", "96345 热线指标", "96345 hotline indicators"),
    ("hotline_intro", 
        "市民服务热线的响应率、解决率、满意率（三率）和超时工单数，按承办单位、区县和诉求类别统计；不含任何来电人信息。",
        "The citizens' hotline's response, resolution and satisfaction rates and overdue requests, per unit, district and category; no caller appears here.",
    ),
    ("from_day", "开始日期", "From"),
    ("until_day", "结束日期", "Until"),
    ("all_requests", "全部", "All"),
    ("unit", "承办单位", "Unit"),
    ("category", "诉求类别", "Category"),
    ("taken", "受理", "Taken"),
    ("closed", "办结", "Closed"),
    ("response_rate", "响应率", "Response rate"),
    ("resolution_rate", "解决率", "Resolution rate"),
    ("satisfaction_rate", "满意率", "Satisfaction rate"),
    ("no_requests", "该期间没有工单", "No requests in this span"),
    ("warnings", "预警", "Warnings"),
    ("yellow_cards", "黄牌", "Yellow cards"),
    ("red_cards", "红牌", "Red cards"),
    ("rectified", "已整改", "Rectified"),
    ("open_signals", "未办结", "Open"),
    ("signals", "电子监察", "Supervision"),
    ("signals_intro", 
        "您所辖范围内的监察信号，未办结的在前，按发出时间排列。承办单位回告整改情况；监察人员办结、督办或撤销。",
        "The signals in your area, open ones first, oldest first. The unit reports its rectification; supervisors close, escalate or revoke.",
    ),
    ("show_all", "显示全部", "Show all"),
    ("show_open", "只看未办结", "Open only"),
    ("signal_level", "级别", "Level"),
    ("rule", "规则", "Rule"),
    ("responsible", "责任人", "Responsible"),
    ("due", "触发时间", "Due"),
    ("signal_text", "说明（回告内容、督办意见或撤销理由）", "Say what was done, or why"),
    ("signal_respond", "回告整改", "Report rectification"),
    ("signal_close", "办结", "Close"),
    ("signal_escalate", "督办", "Escalate"),
    ("signal_revoke", "撤销", "Revoke"),
    ("submit", "提交", "Submit"),
    ("evaluation", "部门季度评价", "Departments' quarterly grades"),
    ("evaluation_intro", 
        "按本季度办结按时率、群众评价、预警、黄牌、红牌和投诉，依现行监察规则的评价公式计算，分为优秀、良好、合格、不合格四档。",
        "From this quarter's on-time rate, applicants' ratings, warnings, yellow and red cards and complaints, by the formula of the rules in force: excellent, good, pass or fail.",
    ),
    ("grade", "等级", "Grade"),
    ("coming_deadlines", "待触发的监察时点", "Supervision's coming deadlines"),
    ("all_areas", "全市", "The whole city"),
    ("by_area", "按地区和部门", "By area and department"),
    ("score", "得分", "Score"),
    ("complaints", "投诉", "Complaints"),
    ("complaints_intro", 
        "对本人办件或某个部门的投诉（网上监督）。监察机构在五个工作日内决定是否受理，受理后调查并答复。",
        "Complain about one of your cases or about a department. The supervisors decide within five working days whether to take it up, then investigate and answer.",
    ),
    ("complaint_text", "投诉内容", "What happened"),
    ("no_complaints", "暂无投诉", "No complaints"),
    ("answer", "答复", "Answer"),
    ("overdue", "已逾期", "Overdue"),
    ("accept_due", "受理期限", "Decide by"),
    ("complaint_accept", "受理", "Take up"),
    ("complaint_refuse", "不予受理", "Refuse"),
    ("complaint_answer", "答复", "Answer"),
    ("raise_signal", "经查属实，发出监察信号", "Upheld: raise a signal on the case"),
    ("stats_intro", 
        "按部门和区县统计的受理、办结、按时办结、网上受理率、平均办理天数和群众评价。",
        "Cases accepted, done, done on time, the online share, the average days and applicants' ratings, by department and district.",
    ),
    ("staff_board", "政务外网办件", "Extranet case view"),
    ("staff_board_intro", 
        "政务外网视图：含不对外公开的执法信息、收费、当前环节及签收人，以及可查看部门的涉密事项办件。",
        "The extranet view: with what is not public — enforcement details, fees, the current step and who signed for it, and sensitive items' cases of the departments you may see.",
    ),
    ("case_number", "办件编号", "Case number"),
    ("item", "事项", "Item"),
    ("dept", "部门", "Department"),
    ("district", "区县", "District"),
    ("applicant", "申请人", "Applicant"),
    ("accepted_at", "受理时间", "Accepted"),
    ("promised_due", "承诺办结日", "Promised by"),
    ("completed_at", "办结时间", "Completed"),
    ("legal_due", "法定办结日", "Legal due date"),
    ("timeliness", "时效", "Timeliness"),
    ("on_time", "按时", "On time"),
    ("late", "超期", "Late"),
    ("all_departments", "全部部门", "All departments"),
    ("all_districts", "全部区县", "All districts"),
    ("all_items", "全部事项", "All items"),
    ("cases_count", "件", "cases"),
    ("no_cases", "暂无办件", "No cases"),
    ("live", "● 实时更新中", "● Live"),
    ("by_district", "按区县", "By district"),
    ("name_col", "名称", "Name"),
    ("cases_all", "办件数", "Cases"),
    ("accepted", "受理", "Accepted"),
    ("done", "办结", "Done"),
    ("online_rate", "网上受理率", "Online share"),
    ("average_days", "平均办理天数", "Average days"),
    ("average_rating", "群众评价", "Rating"),
    ("channel", "渠道", "Channel"),
    ("online", "网上申报", "Online"),
    ("counter", "窗口受理", "Counter"),
    ("current_step", "当前环节", "Current step"),
    ("signed_by", "签收人", "Signed for by"),
    ("enforcement", "执法信息", "Enforcement"),
    ("fees_charged", "已收费用", "Fees charged"),
    ("applicant_id", "证件号码", "Identity / credit code"),
    ("sensitive_case", "涉密", "Sensitive"),
    ("penalty_measure", "处罚", "Penalty"),
    ("licences", "电子证照", "E-licences"),
    ("licence", "电子证照", "E-licence"),
    ("licence_number", "证照编号", "Licence number"),
    ("holder", "持证人", "Holder"),
    ("holder_id", "持证人证件号", "Holder's ID"),
    ("issuer", "发证机关", "Issuer"),
    ("decided_on", "决定日期", "Decided on"),
    ("issued_at", "签发时间", "Issued"),
    ("verdict", "核验结果", "Verdict"),
    ("verify", "证照核验", "Verify a licence"),
    ("verify_intro", 
        "输入证照编号，或粘贴证照二维码中的签名数据，即可核验证照真伪。",
        "Enter a licence number, or paste the signed data from its QR code, to check whether it is genuine.",
    ),
    ("verify_button", "核验", "Verify"),
    ("token", "签名数据", "Signed data"),
    ("keys", "签名公钥", "Signing keys"),
    ("keys_intro", 
        "各发证机关的 ed25519 公钥。任何人都可以用它们核验电子证照的签名。",
        "Each issuer's ed25519 public key. Anyone can check an e-licence's signature with them.",
    ),
    ("public_key", "公钥", "Public key"),
    ("download_licence", "下载证照文件", "Download the licence file"),
    ("qr_hint", "扫描二维码即可在线核验", "Scan the QR code to verify online"),
    ("revoke", "撤销证照", "Revoke the licence"),
    ("revoked_at", "撤销时间", "Revoked on"),
    ("signature", "签名", "Signature"),
    ("apply_online", "网上申报", "Apply online"),
    ("bundles", "一件事一次办", "One-stop services"),
    ("bundles_intro", 
        "一次申报、一套材料，多个部门并联办理，结果一次告知。",
        "One application and one set of materials; several departments handle it in parallel; one combined result.",
    ),
    ("bundle_items", "包含的事项", "Items covered"),
    ("bundle_unavailable", "该一件事暂不受理申请：其中有事项尚未入库。", "Not open for applications: an item it covers is not in the library yet."),
    ("not_in_library", "未入库", "Not in the library"),
    ("no_bundles", "暂无一件事", "No one-stop services yet"),
    ("bundle_form_once", "各事项共用的信息只需填写一次。", "What the items share is asked once."),
    ("bundle_application", "一件事申请", "One-stop application"),
    ("bundle_number", "申请编号", "Application number"),
    ("bundle_submitted", "申请已提交：各部门将并联办理，请记下申请编号和查询码。", "Submitted: the departments will handle it in parallel. Keep the number and the query code."),
    ("combined_result", "办理结果", "Combined result"),
    ("bundle_cases", "各部门办件", "The departments' cases"),
    ("my_bundles", "我的一件事", "My one-stop applications"),
    ("outcome_in_progress", "办理中", "In progress"),
    ("outcome_approved", "全部准予", "All granted"),
    ("outcome_partly_approved", "部分准予", "Partly granted"),
    ("outcome_refused", "均未准予", "None granted"),
    ("outcome_withdrawn", "已撤回", "Withdrawn"),
    ("sign_in_to_apply", "登录后网上申报", "Sign in to apply online"),
    ("register_at_counter", "窗口登记", "Register at the counter"),
    ("my_cases", "我的办件", "My cases"),
    ("track", "办件查询", "Track a case"),
    ("cases", "办件", "Cases"),
    ("case", "办件", "Case"),
    ("query_code", "查询码", "Query code"),
    ("channel_online", "网上申报", "Online"),
    ("channel_counter", "窗口受理", "At the counter"),
    ("submitted_at", "提交时间", "Submitted"),
    ("decided_at", "决定时间", "Decided"),
    ("claimed", "已签收", "Signed for"),
    ("not_claimed", "未签收", "Not signed for"),
    ("answers", "申请表", "Application form"),
    ("files", "已上传材料", "Uploaded materials"),
    ("no_files", "尚未上传材料", "No materials uploaded yet"),
    ("file_name", "文件名", "File name"),
    ("size", "大小", "Size"),
    ("download", "下载", "Download"),
    ("added_by", "上传人", "Added by"),
    ("upload_hint", 
        "PDF、JPEG、PNG或OFD文件，单个不超过10MB，合计不超过40MB；一项材料可选多个文件。",
        "PDF, JPEG, PNG or OFD files, at most 10 MiB each and 40 MiB in all; a material may have several files.",
    ),
    ("choose_files_again", "出错后需重新选择要上传的文件。", "After an error, choose the files to upload again."),
    ("submit_application", "提交申请", "Submit the application"),
    ("submitted_notice", "申请已提交。请记下办件编号和查询码，凭此可随时查询办理进度。", "Your application is submitted. Keep the case number and query code: with them you can follow the case at any time."),
    ("withdraw", "撤回申请", "Withdraw the application"),
    ("add_files", "补充材料", "Add materials"),
    ("upload", "上传", "Upload"),
    ("supply_correction", "提交补正", "Supply the correction"),
    ("correction_hint", "请按补正告知上传材料后提交补正。", "Upload what the correction asks for, then supply the correction."),
    ("rate", "服务评价", "Rate the service"),
    ("rating", "评分", "Rating"),
    ("comment", "评价内容", "Comment"),
    ("your_rating", "您的评价", "Your rating"),
    ("view_licence", "查看电子证照", "View the e-licence"),
    ("inbox", "办件箱", "Case inbox"),
    ("open_cases", "未办结", "Open"),
    ("all_cases", "全部", "All"),
    ("accept", "受理", "Accept"),
    ("not_accept", "不予受理", "Do not accept"),
    ("request_correction", "一次性告知补正", "Request a correction"),
    ("what_to_correct", "需补正的内容", "What must be corrected"),
    ("claim", "签收", "Sign for the step"),
    ("pass", "办结本环节，转下一环节", "Pass to the next step"),
    ("return_to", "退回", "Return to an earlier step"),
    ("step", "环节", "Step"),
    ("request_opinions", "发起会签", "Ask departments' opinions"),
    ("give_opinion", "反馈会签意见", "Give the opinion"),
    ("opinion", "意见", "Opinion"),
    ("agree", "同意", "Agree"),
    ("disagree", "不同意", "Disagree"),
    ("pending_opinions", "待反馈会签", "Opinions pending"),
    ("suspend", "启动特别程序（暂停计时）", "Start a special procedure (clock stops)"),
    ("procedure", "特别程序", "Special procedure"),
    ("resume", "特别程序结束，恢复计时", "End the special procedure"),
    ("extend", "延长办理期限", "Extend the time limit"),
    ("days", "工作日", "Working days"),
    ("decide_approve", "准予许可", "Approve"),
    ("refuse", "不予许可", "Refuse"),
    ("deliver", "送达", "Deliver"),
    ("charge_fee", "收费", "Charge a fee"),
    ("charges", "已收费用", "Fees charged"),
    ("penalty", "处罚决定", "Penalty decision"),
    ("circumstance", "违法情形", "Circumstance"),
    ("amount_yuan", "金额（元）", "Amount (yuan)"),
    ("decide_penalty", "作出处罚决定", "Decide the penalty"),
    ("choose_item", "选择事项", "Choose the item"),
    ("applicant_kind", "申请人类型", "Applicant"),
    ("person", "自然人", "A person"),
    ("enterprise", "法人或其他组织", "An enterprise"),
    ("applicant_name", "申请人名称", "Applicant's name"),
    ("register", "登记", "Register"),
    ("yes", "是", "Yes"),
    ("no", "否", "No"),
    ("track_hint", "凭办件编号（或一件事申请编号）和查询码查询办理进度，无需登录。", "Follow a case, or a one-stop application, with its number and query code; no sign-in needed."),
    ("query", "查询", "Look up"),
    ("not_found_case", "办件编号或查询码不正确", "The case number or query code is wrong"),
    ("staff_no_apply", "工作人员请通过窗口登记为申请人办理", "Staff register applications at the counter"),
    ("cs_submitted", "已提交", "Submitted"),
    ("cs_correction_requested", "待补正", "Correction requested"),
    ("cs_not_accepted", "不予受理", "Not accepted"),
    ("cs_in_process", "办理中", "In process"),
    ("cs_suspended", "特别程序中", "Special procedure"),
    ("cs_approved", "准予许可", "Approved"),
    ("cs_refused", "不予许可", "Refused"),
    ("cs_delivered", "已送达", "Delivered"),
    ("cs_withdrawn", "已撤回", "Withdrawn"),
    ("sp_hearing", "听证", "Hearing"),
    ("sp_testing", "检验检测", "Testing"),
    ("sp_inspection", "现场核查", "Inspection"),
    ("sp_expert_review", "专家评审", "Expert review"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_one_key_and_both_languages() {
        let mut seen = std::collections::HashSet::new();
        for (key, zh, en) in WORDS {
            assert!(seen.insert(key), "{key} is in the dictionary twice");
            assert!(!zh.is_empty() && !en.is_empty(), "{key} lacks a language");
        }
        assert_eq!(t(Lang::En, "site"), "Sunshine e-Government");
        assert_eq!(t(Lang::Zh, "no_such_word"), "??");
    }
}

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
            crate::auth::cookie(&parts.headers, "lang").and_then(|v| Lang::from_tag(&v))
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
    let (zh, en) = match key {
        "site" => ("阳光政务", "Sunshine e-Government"),
        "city" => ("杭州市", "Hangzhou"),
        "home" => ("首页", "Home"),
        "catalog" => ("权力事项目录", "Power-item catalogue"),
        "search" => ("搜索", "Search"),
        "search_hint" => ("事项名称或编码", "Item name or code"),
        "all_types" => ("全部类型", "All types"),
        "type" => ("事项类型", "Type"),
        "code" => ("事项编码", "Code"),
        "name" => ("事项名称", "Name"),
        "department" => ("实施主体", "Implementing body"),
        "region" => ("区划", "Region"),
        "state" => ("状态", "State"),
        "version" => ("版本", "Version"),
        "effective" => ("生效日期", "Effective"),
        "results" => ("条结果", "results"),
        "none_found" => ("没有找到符合条件的事项", "No items match"),
        "guide" => ("办事指南", "Service guide"),
        "legal_basis" => ("设定依据", "Legal basis"),
        "conditions" => ("受理条件", "Conditions"),
        "materials" => ("申请材料", "Required materials"),
        "limits" => ("办理时限", "Time limits"),
        "legal_limit" => ("法定时限", "Legal limit"),
        "promised_limit" => ("承诺时限", "Promised limit"),
        "fees" => ("收费", "Fees"),
        "no_fee" => ("不收费", "No fee"),
        "steps" => ("办理流程", "Process"),
        "post" => ("岗位", "Post"),
        "duty" => ("职责", "Duty"),
        "limit" => ("时限", "Limit"),
        "not_counted" => ("不计入法定时限", "not counted in the legal limit"),
        "min_visits" => ("最多跑动次数", "Visits in person at most"),
        "supervision_phone" => ("监督电话", "Supervision phone"),
        "discretion" => ("裁量基准", "Discretion standards"),
        "accepting_body" => ("受理机构", "Accepting body"),
        "deciding_body" => ("决定机构", "Deciding body"),
        "level" => ("层级", "Level"),
        "copies" => ("份数", "Copies"),
        "original" => ("原件", "Original"),
        "required" => ("必需", "Required"),
        "login" => ("登录", "Sign in"),
        "logout" => ("退出", "Sign out"),
        "login_name" => ("登录名", "Login"),
        "password" => ("密码", "Password"),
        "workbench" => ("工作台", "Workbench"),
        "panorama" => ("全景视图", "Panoramic view"),
        "new_item" => ("编制新事项", "Draft a new item"),
        "edit" => ("修改", "Edit"),
        "save" => ("保存", "Save"),
        "declare" => ("申报", "Declare"),
        "review" => ("审核通过", "Pass review"),
        "approve" => ("批准", "Approve"),
        "publish" => ("入库", "Enter into the library"),
        "return" => ("退回", "Return to draft"),
        "reason" => ("理由", "Reason"),
        "new_version" => ("编制新版本", "Open a new version"),
        "history" => ("流转记录", "History"),
        "import_export" => ("导入导出", "Import and export"),
        "import" => ("导入", "Import"),
        "export" => ("导出", "Export"),
        "file" => ("文件", "File"),
        "format" => ("格式", "Format"),
        "total" => ("合计", "Total"),
        "by_state" => ("按状态", "By state"),
        "by_type" => ("按类型", "By type"),
        "by_region" => ("按区划", "By region"),
        "by_department" => ("按部门", "By department"),
        "signed_in_as" => ("当前用户", "Signed in as"),
        "actor" => ("操作人", "Actor"),
        "time" => ("时间", "Time"),
        "event" => ("事件", "Event"),
        "portal_intro" => (
            "杭州市权力阳光电子政务平台：查询行政权力事项及办事指南，了解办理条件、材料、时限和收费。",
            "Hangzhou's sunshine e-government platform: find administrative power items and their service guides — conditions, materials, time limits and fees.",
        ),
        "not_found" => ("页面不存在", "Page not found"),
        "error" => ("出错了", "Something went wrong"),
        "back" => ("返回", "Back"),
        "prev" => ("上一页", "Previous"),
        "next" => ("下一页", "Next"),
        "all_states" => ("全部状态", "All states"),
        "filter" => ("筛选", "Filter"),
        "lines_hint" => ("每行一项", "One per line"),
        "returned_reason" => ("退回理由", "Returned because"),
        "sensitive" => ("涉密/敏感事项（不对外公开）", "Sensitive (never shown publicly)"),
        "form" => ("申请表字段", "Application form fields"),
        "my_items" => ("事项列表", "Items"),
        "actions" => ("操作", "Actions"),
        _ => ("", ""),
    };
    if zh.is_empty() {
        // A missing key shows itself, so it is noticed rather than rendered blank.
        return "??";
    }
    lang.pick(zh, en)
}

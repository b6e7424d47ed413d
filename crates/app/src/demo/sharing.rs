//! Resource sharing in the demo: the city's administrator sets up
//! enterprise basic information, owned by the registering department
//! (工商, 330100-027) and fed by it, the local tax bureau and the quality
//! bureau; each submits a few enterprises (the demo's two among them), and
//! the quality bureau's address for one disagrees with the registration's,
//! so the conflicts page has one to resolve. The social security bureau
//! shares its insured employers unconditionally, public security keeps its
//! household register unshared, and the social security bureau has asked
//! for enterprise information and waits for the owner.

use serde_json::json;
use sunshine_domain::ids::CreditCode;
use sunshine_domain::sharing::{FieldSpec, FieldType, ResourceSpec, SharingClass, UpdateCycle};

use crate::identity::NewStaff;
use crate::sharing::enterprise::EnterpriseSetup;
use crate::sharing::subscriptions::SubscribeForm;
use crate::sharing::NewResource;
use crate::{App, Result};

use super::DEMO_PASSWORD;

/// The registering department (工商), owner of enterprise basic information.
pub const REGISTRATION_DEPT: &str = "330100-027";
pub const QUALITY_DEPT: &str = "330100-028";
pub const TAX_DEPT: &str = "330100-046";
/// The social security bureau (人社), a subscriber.
pub const SOCIAL_SECURITY_DEPT: &str = "330100-013";

/// The registering department's catalogue editor, who submits its feed.
pub const REGISTRATION_EDITOR: &str = "aic.editor";
/// The registering department's approver, who decides subscriptions.
pub const REGISTRATION_APPROVER: &str = "aic.approver";
pub const TAX_EDITOR: &str = "tax.editor";
pub const QUALITY_EDITOR: &str = "qts.editor";
/// A case clerk of the social security bureau, who subscribes for it.
pub const SOCIAL_SECURITY_CLERK: &str = "hrss.clerk";

/// The demo enterprise whose feeds disagree on its address.
pub const CONFLICTED: &str = "91330106MA2CD0003";

/// A credit code from its first 17 characters.
pub fn credit_code(first17: &str) -> String {
    format!(
        "{first17}{}",
        CreditCode::check_char(first17).unwrap_or('0')
    )
}

pub(super) async fn load(app: &App) -> Result<()> {
    let admin = app.staff_actor("admin").await?;
    for (login, name, org, role) in [
        (
            REGISTRATION_EDITOR,
            "工商资源编目员",
            REGISTRATION_DEPT,
            "catalog_editor",
        ),
        (
            REGISTRATION_APPROVER,
            "工商共享审核员",
            REGISTRATION_DEPT,
            "approver",
        ),
        (TAX_EDITOR, "地税资源编目员", TAX_DEPT, "catalog_editor"),
        (
            QUALITY_EDITOR,
            "质监资源编目员",
            QUALITY_DEPT,
            "catalog_editor",
        ),
        (
            SOCIAL_SECURITY_CLERK,
            "人社数据专员",
            SOCIAL_SECURITY_DEPT,
            "case_clerk",
        ),
    ] {
        app.create_staff(
            &admin,
            NewStaff {
                login: login.into(),
                display_name: name.into(),
                org: org.into(),
                password: DEMO_PASSWORD.into(),
                roles: vec![role.into()],
            },
        )
        .await?;
    }
    app.setup_enterprise_sharing(
        &admin,
        EnterpriseSetup {
            owner: REGISTRATION_DEPT.into(),
            registration: REGISTRATION_DEPT.into(),
            tax: TAX_DEPT.into(),
            quality: QUALITY_DEPT.into(),
            class: SharingClass::Conditional,
            cycle: UpdateCycle::Daily,
            basis: "《政务信息资源共享管理暂行办法》：企业登记、纳税信息按履行职责需要共享".into(),
        },
    )
    .await?;
    let yunqi = super::demo_credit_code();
    let anju = super::demo_provider_code();
    let xixi = credit_code(CONFLICTED);
    let qiantang = credit_code("91330108MA2CD0004");
    let registration = json!([
        {"credit_code": yunqi, "name": "杭州云栖数据科技有限公司", "legal_representative": "陈云栖",
         "registered_capital": "1000", "address": "杭州市西湖区云栖小镇云栖路1号", "established": "2018-05-20", "status": "存续"},
        {"credit_code": anju, "name": super::DEMO_PROVIDER_NAME, "legal_representative": "安居平",
         "registered_capital": "200", "address": "杭州市西湖区文一路58号", "established": "2012-03-01", "status": "存续"},
        {"credit_code": xixi, "name": "杭州西溪软件有限公司", "legal_representative": "林西溪",
         "registered_capital": "500", "address": "杭州市西湖区文三路90号", "established": "2015-09-10", "status": "在业"},
        {"credit_code": qiantang, "name": "杭州钱塘精密机械有限公司", "legal_representative": "钱塘",
         "registered_capital": "3000", "address": "杭州市滨江区江南大道288号", "established": "2009-11-18", "status": "存续"},
    ]);
    let tax = json!([
        {"credit_code": yunqi, "name": "杭州云栖数据科技有限公司", "tax_status": "正常", "tax_authority": "杭州市西湖区地方税务局"},
        {"credit_code": xixi, "name": "杭州西溪软件有限公司", "tax_status": "正常", "tax_authority": "杭州市西湖区地方税务局"},
        {"credit_code": qiantang, "tax_status": "非正常", "tax_authority": "杭州市滨江区地方税务局"},
    ]);
    let quality = json!([
        {"credit_code": yunqi, "address": "杭州市西湖区云栖小镇云栖路1号", "org_code": &yunqi[8..17],
         "quality_certificate": "ZJ-ZL-2024-0318", "certificate_valid_until": "2027-12-31"},
        {"credit_code": xixi, "name": "杭州西溪软件有限公司", "address": "杭州市西湖区文三路90号东部软件园3号楼",
         "org_code": &xixi[8..17]},
        {"credit_code": qiantang, "org_code": &qiantang[8..17], "quality_certificate": "ZJ-ZL-2023-1107",
         "certificate_valid_until": "2026-06-30"},
    ]);
    for (login, feed, rows) in [
        (REGISTRATION_EDITOR, "registration", registration),
        (TAX_EDITOR, "tax", tax),
        (QUALITY_EDITOR, "quality", quality),
    ] {
        let actor = app.staff_actor(login).await?;
        app.submit_enterprise_feed(&actor, feed, rows.to_string().as_bytes())
            .await?;
    }

    // Two more resources, so the catalogue shows each class.
    let field = |name: &str, kind, description: &str| FieldSpec {
        name: name.into(),
        kind,
        description: description.into(),
    };
    let hrss = app.staff_actor(SOCIAL_SECURITY_CLERK).await?;
    let insured = app
        .register_resource(
            &admin,
            NewResource {
                owner: Some(SOCIAL_SECURITY_DEPT.into()),
                spec: ResourceSpec {
                    name: "社会保险参保单位".into(),
                    description: "在本市参加社会保险的单位及其参保人数".into(),
                    fields: vec![
                        field("credit_code", FieldType::CreditCode, "统一社会信用代码"),
                        field("name", FieldType::Text, "单位名称"),
                        field("insured", FieldType::Number, "参保人数"),
                        field("since", FieldType::Date, "参保日期"),
                    ],
                    cycle: UpdateCycle::Monthly,
                    class: SharingClass::Unconditional,
                    basis: String::new(),
                },
            },
        )
        .await?;
    let rows = format!(
        "统一社会信用代码,单位名称,参保人数,参保日期\n{yunqi},杭州云栖数据科技有限公司,86,2018-07-01\n{xixi},杭州西溪软件有限公司,132,2015-12-01\n"
    );
    app.publish_rows(&admin, insured.id, rows.as_bytes())
        .await?;
    app.register_resource(
        &admin,
        NewResource {
            owner: Some("330100-008".into()),
            spec: ResourceSpec {
                name: "户籍人口信息".into(),
                description: "常住户籍人口的身份与户籍登记信息".into(),
                fields: vec![
                    field("id_number", FieldType::Text, "公民身份号码"),
                    field("name", FieldType::Text, "姓名"),
                    field("household_address", FieldType::Text, "户籍地址"),
                ],
                cycle: UpdateCycle::Realtime,
                class: SharingClass::NotShared,
                basis: "涉及公民个人信息，依《居民身份证法》第六条不予共享，按个案协查".into(),
            },
        },
    )
    .await?;
    if let Some((enterprise, _)) = app.enterprise_resource().await? {
        app.subscribe(
            &hrss,
            enterprise,
            SubscribeForm {
                subscriber: None,
                fields: vec![
                    "credit_code".into(),
                    "name".into(),
                    "status".into(),
                    "address".into(),
                ],
                purpose: "核对参保单位的登记状态与住所，办理单位参保登记与变更".into(),
                basis: "《社会保险法》第五十七条".into(),
            },
        )
        .await?;
    }
    Ok(())
}

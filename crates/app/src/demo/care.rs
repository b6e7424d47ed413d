//! The demo's home care: the alliance's provider registered by the hotline
//! centre, 陈秀英 and a few other elders of 保俶塔社区 assessed by their
//! worker, one order served and rated, and one placed by the hotline that
//! waits for the provider.

use std::collections::BTreeMap;

use sunshine_domain::care::{Channel, OrderCommand, ITEMS};
use sunshine_domain::registry::stats;

use super::{
    demo_elder_id, demo_provider_code, COMMUNITY_WORKER, DEMO_COMMUNITY, DEMO_ELDER_LOGIN,
};
use super::{DEMO_CITIZEN_LOGIN, DEMO_PROVIDER_LOGIN, DEMO_PROVIDER_NAME};
use crate::care::{ActivityForm, HoursDecision, HoursForm, OrderForm, ProviderForm, RecipientForm};
use crate::{App, Result};

/// An assessment whose items score the lowest allowed from the first
/// `impaired` items on, and full marks before.
fn scores(impaired: usize) -> BTreeMap<String, u8> {
    ITEMS
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let s = if i < impaired {
                item.scores[item.scores.len() / 2]
            } else {
                *item.scores.last().unwrap_or(&0)
            };
            (item.code.to_string(), s)
        })
        .collect()
}

pub async fn load(app: &App) -> Result<()> {
    let operator = app.staff_actor("operator").await?;
    let worker = app.staff_actor(COMMUNITY_WORKER).await?;
    app.register_care_provider(
        &operator,
        ProviderForm {
            credit_code: demo_provider_code(),
            name: DEMO_PROVIDER_NAME.into(),
            services: app
                .care_rules()
                .services
                .iter()
                .map(|s| s.code.clone())
                .collect(),
            districts: vec!["330106".into()],
            active: true,
        },
    )
    .await?;
    let community = DEMO_COMMUNITY.replace('-', "");
    let persons = {
        let mut conn = app.db.read().await?;
        sunshine_store::registry::persons_of_community(&mut conn, &community).await?
    };
    let today = app.clock.today();
    let elder = demo_elder_id();
    let mut others = persons
        .iter()
        .filter(|(_, p)| p.id_number.is_some() && p.id_number.as_deref() != Some(&elder))
        .filter(|(_, p)| stats::age(&p.birth, today).is_some_and(|a| a >= 75));
    let mut assessed = vec![];
    if let Some((id, _)) = persons
        .iter()
        .find(|(_, p)| p.id_number.as_deref() == Some(&elder))
    {
        assessed.push((*id, scores(6)));
    }
    for (k, (id, _)) in others.by_ref().take(3).enumerate() {
        assessed.push((*id, scores(2 + 3 * k)));
    }
    for (person_id, scores) in &assessed {
        app.register_care_recipient(
            &worker,
            RecipientForm {
                person_id: *person_id,
                scores: scores.clone(),
            },
        )
        .await?;
    }
    let Some((elder_id, _)) = assessed.first().cloned() else {
        return Ok(());
    };
    // Cleaning the worker ordered for 陈秀英: served and rated.
    let order = app
        .place_care_order(
            &worker,
            OrderForm {
                channel: Channel::Worker,
                person_id: Some(elder_id),
                id_number: None,
                service: "clean".into(),
                provider: demo_provider_code(),
                wanted_on: today.to_string(),
                request: "打扫厨房和卫生间".into(),
                use_time_bank: false,
            },
        )
        .await?;
    let provider = app.account_actor(DEMO_PROVIDER_LOGIN).await?;
    let elder_account = app.account_actor(DEMO_ELDER_LOGIN).await?;
    app.care_order_command(&provider, &order.number, OrderCommand::Accept)
        .await?;
    let served = OrderCommand::Serve {
        minutes: 90,
        note: "厨房、卫生间清洁完毕".into(),
    };
    app.care_order_command(&provider, &order.number, served)
        .await?;
    let rated = OrderCommand::Confirm {
        rating: 5,
        comment: "阿姨做得很仔细".into(),
    };
    app.care_order_command(&elder_account, &order.number, rated)
        .await?;
    // Meals the hotline took for another elder by phone, waiting for the provider.
    if let Some(number) = assessed
        .get(1)
        .and_then(|(id, _)| persons.iter().find(|(p, _)| p == id))
        .and_then(|(_, p)| p.id_number.clone())
    {
        app.place_care_order(
            &operator,
            OrderForm {
                channel: Channel::Hotline,
                person_id: None,
                id_number: Some(number),
                service: "meal".into(),
                provider: demo_provider_code(),
                wanted_on: today.tomorrow().unwrap_or(today).to_string(),
                request: "送午餐，少盐".into(),
                use_time_bank: false,
            },
        )
        .await?;
    }
    // 王小明 volunteers: two hours at the community's haircut day, confirmed
    // and banked; a visit to the elders next week is announced.
    let citizen = app.account_actor(DEMO_CITIZEN_LOGIN).await?;
    app.register_volunteer(&citizen, "理发、陪老人聊天").await?;
    let haircut = app
        .create_care_activity(
            &worker,
            ActivityForm {
                community: community.clone(),
                title: "助老义剪".into(),
                day: today.yesterday().unwrap_or(today).to_string(),
                place: "保俶塔社区活动室".into(),
            },
        )
        .await?;
    app.create_care_activity(
        &worker,
        ActivityForm {
            community,
            title: "走访独居老人".into(),
            day: today
                .checked_add(jiff::Span::new().days(7))
                .unwrap_or(today)
                .to_string(),
            place: "保俶塔社区".into(),
        },
    )
    .await?;
    let hours = app
        .record_volunteer_hours(
            &citizen,
            HoursForm {
                activity: haircut.id,
                minutes: 120,
                note: "为六位老人理发".into(),
            },
        )
        .await?;
    app.decide_volunteer_hours(
        &worker,
        hours.id,
        HoursDecision {
            confirm: true,
            reason: String::new(),
        },
    )
    .await?;
    Ok(())
}

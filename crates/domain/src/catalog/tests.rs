use super::*;
use jiff::civil::date;
use proptest::prelude::*;

pub(crate) fn sample_spec() -> ItemSpec {
    serde_json::from_value(serde_json::json!({
        "code": "XK-00012-000",
        "name": "软件企业认定",
        "item_type": "licensing",
        "level": "city",
        "region": "330100",
        "implementing_body": "330100-002",
        "accepting_body": "330100-040",
        "deciding_body": "330100-002",
        "legal_basis": "《软件企业认定管理办法》第十条",
        "conditions": ["在中国境内依法设立的企业法人"],
        "materials": [{"name": "软件企业认定申请表", "copies": 1, "original": true, "required": true, "note": ""}],
        "legal_limit": {"value": 20, "unit": "working_days"},
        "promised_limit": {"value": 10, "unit": "working_days"},
        "fees": [],
        "steps": [
            {"name": "受理", "post": "窗口受理员", "duty": "审查材料", "limit": {"value": 1, "unit": "working_days"}, "counted_in_legal_limit": true},
            {"name": "专家评审", "post": "评审专家", "duty": "", "limit": {"value": 30, "unit": "working_days"}, "counted_in_legal_limit": false},
            {"name": "决定", "post": "处长", "duty": "", "limit": {"value": 5, "unit": "working_days"}, "counted_in_legal_limit": true}
        ],
        "min_visits": 0,
        "sensitive": false,
        "supervision_phone": "0571-85254030",
        "discretion": [],
        "form": [{"key": "company_name", "label": "企业名称", "label_en": "Company name", "kind": "text", "required": true, "choices": []}]
    }))
    .expect("sample spec deserialises")
}

fn field_errors(spec: &ItemSpec) -> Vec<String> {
    match spec.validate() {
        Ok(()) => vec![],
        Err(r) => r.fields.keys().cloned().collect(),
    }
}

#[test]
fn a_complete_item_is_valid() {
    assert_eq!(field_errors(&sample_spec()), Vec::<String>::new());
}

#[test]
fn the_promised_limit_may_never_exceed_the_legal_limit() {
    let mut spec = sample_spec();
    spec.promised_limit.value = 21;
    assert_eq!(field_errors(&spec), vec!["promised_limit"]);
    spec.promised_limit = TimeLimit {
        value: 5,
        unit: TimeUnit::Days,
    };
    assert_eq!(
        field_errors(&spec),
        vec!["promised_limit"],
        "a different unit cannot be compared"
    );
}

#[test]
fn steps_counted_in_the_legal_limit_must_fit_in_it_but_expert_review_does_not_count() {
    let mut spec = sample_spec();
    assert!(
        spec.validate().is_ok(),
        "30 days of expert review are not counted"
    );
    spec.steps[1].counted_in_legal_limit = true;
    assert_eq!(field_errors(&spec), vec!["steps"]);
}

#[test]
fn a_code_must_match_its_type() {
    let mut spec = sample_spec();
    spec.item_type = ItemType::PublicService;
    assert_eq!(field_errors(&spec), vec!["code"]);
    spec.code = "GG-00012-000-330100".into();
    assert!(spec.validate().is_ok(), "extended codes keep their parts");
    spec.code = "GG-12".into();
    assert_eq!(field_errors(&spec), vec!["code"]);
}

#[test]
fn penalties_and_only_penalties_carry_discretion_standards() {
    let mut spec = sample_spec();
    spec.item_type = ItemType::Penalty;
    spec.code = "CF-00001-000".into();
    assert_eq!(field_errors(&spec), vec!["discretion"]);
    spec.discretion.push(Discretion {
        circumstance: "首次违法".into(),
        measure: "罚款".into(),
        min_fen: 100_000,
        max_fen: 50_000,
    });
    assert_eq!(field_errors(&spec), vec!["discretion[0].min_fen"]);
    spec.discretion[0].max_fen = 500_000;
    assert!(spec.validate().is_ok());
}

#[test]
fn the_level_follows_the_region_code() {
    let mut spec = sample_spec();
    spec.level = Level::District;
    assert_eq!(field_errors(&spec), vec!["level"]);
}

#[test]
fn form_fields_need_unique_keys_and_choices_only_for_choice_fields() {
    let mut spec = sample_spec();
    let mut f = spec.form[0].clone();
    spec.form.push(f.clone());
    f.key = "kind".into();
    f.kind = FieldKind::Choice;
    spec.form.push(f);
    assert_eq!(field_errors(&spec), vec!["form[1].key", "form[2].choices"]);
}

#[test]
fn every_fault_is_reported_at_once() {
    let mut spec = sample_spec();
    spec.name = " ".into();
    spec.legal_basis.clear();
    spec.min_visits = 9;
    assert_eq!(
        field_errors(&spec),
        vec!["legal_basis", "min_visits", "name"]
    );
}

const TODAY: Date = date(2026, 11, 27);

#[test]
fn the_workflow_goes_draft_declared_reviewed_approved_in_library() {
    let mut s = VersionState::Draft;
    for step in [
        WorkflowStep::Declare,
        WorkflowStep::Review,
        WorkflowStep::Approve,
        WorkflowStep::Publish { effective: TODAY },
    ] {
        s = next_state(s, &step, TODAY).expect("the normal path");
    }
    assert_eq!(s, VersionState::InLibrary);
}

#[test]
fn a_step_cannot_be_skipped() {
    assert!(next_state(VersionState::Draft, &WorkflowStep::Approve, TODAY).is_err());
    assert!(next_state(
        VersionState::Declared,
        &WorkflowStep::Publish { effective: TODAY },
        TODAY
    )
    .is_err());
}

#[test]
fn a_return_needs_a_reason_and_goes_back_to_draft() {
    let empty = WorkflowStep::Return {
        reason: "  ".into(),
    };
    assert_eq!(
        next_state(VersionState::Reviewed, &empty, TODAY).map_err(|r| r
            .fields
            .keys()
            .cloned()
            .collect::<Vec<_>>()),
        Err(vec!["reason".to_string()])
    );
    let why = WorkflowStep::Return {
        reason: "法律依据条款引用有误".into(),
    };
    assert_eq!(
        next_state(VersionState::Approved, &why, TODAY),
        Ok(VersionState::Draft)
    );
    assert!(
        next_state(VersionState::Draft, &why, TODAY).is_err(),
        "a draft is not returned"
    );
    assert!(
        next_state(VersionState::InLibrary, &why, TODAY).is_err(),
        "a published version is not returned"
    );
}

#[test]
fn an_item_cannot_enter_the_library_with_a_past_effective_date() {
    let past = WorkflowStep::Publish {
        effective: date(2026, 11, 26),
    };
    assert!(next_state(VersionState::Approved, &past, TODAY).is_err());
}

#[test]
fn only_one_version_can_be_on_its_way_at_a_time() {
    assert!(may_open_new_version(&[VersionState::InLibrary, VersionState::Superseded]).is_ok());
    assert!(may_open_new_version(&[VersionState::InLibrary, VersionState::Reviewed]).is_err());
}

fn any_step() -> impl Strategy<Value = WorkflowStep> {
    prop_oneof![
        Just(WorkflowStep::Declare),
        Just(WorkflowStep::Review),
        Just(WorkflowStep::Approve),
        (0i64..3).prop_map(|d| WorkflowStep::Publish {
            effective: TODAY
                .checked_add(jiff::Span::new().days(d - 1))
                .expect("in range")
        }),
        prop_oneof![Just(String::new()), Just("依据不足".to_string())]
            .prop_map(|reason| WorkflowStep::Return { reason }),
    ]
}

proptest! {
    /// Whatever commands arrive in whatever order, a version only ever moves one
    /// step forward along the chain or back to draft, and reaches the library
    /// only after passing declared, reviewed and approved in that order.
    #[test]
    fn no_command_sequence_skips_a_step(steps in proptest::collection::vec(any_step(), 0..40)) {
        let mut state = VersionState::Draft;
        let mut passed: Vec<VersionState> = vec![];
        for step in &steps {
            let before = state;
            if let Ok(after) = next_state(state, step, TODAY) {
                let forward = match before {
                    VersionState::Draft => VersionState::Declared,
                    VersionState::Declared => VersionState::Reviewed,
                    VersionState::Reviewed => VersionState::Approved,
                    VersionState::Approved => VersionState::InLibrary,
                    other => other,
                };
                prop_assert!(after == forward || after == VersionState::Draft, "{before:?} -> {after:?} by {step:?}");
                prop_assert!(before != VersionState::InLibrary, "a published version never moves by a workflow step");
                if after == VersionState::Draft { passed.clear(); } else { passed.push(after); }
                state = after;
            }
        }
        if state == VersionState::InLibrary {
            prop_assert_eq!(passed, vec![VersionState::Declared, VersionState::Reviewed, VersionState::Approved, VersionState::InLibrary]);
        }
    }
}

#[test]
fn control_characters_are_refused_wherever_text_goes() {
    let mut spec = sample_spec();
    spec.name = "软件\u{0}企业".into();
    spec.steps[0].duty = "审查\u{7}".into();
    assert_eq!(field_errors(&spec), vec!["name", "steps[0].duty"]);
    let mut fine = sample_spec();
    fine.legal_basis = "第一条\n第二条\t（节选）".into();
    assert!(fine.validate().is_ok(), "line breaks and tabs are text");
    let nul = WorkflowStep::Return {
        reason: "x\u{0}".into(),
    };
    assert!(next_state(VersionState::Declared, &nul, TODAY).is_err());
}

#[test]
fn every_workflow_event_has_words_for_people() {
    let today: Date = "2026-01-05".parse().unwrap();
    for step in [
        WorkflowStep::Declare,
        WorkflowStep::Review,
        WorkflowStep::Approve,
        WorkflowStep::Publish { effective: today },
        WorkflowStep::Return { reason: "x".into() },
    ] {
        let name = event_name(step.event_type()).expect("named");
        assert!(!name.zh.is_empty() && !name.en.is_empty());
    }
    assert!(event_name("hall.case_submitted").is_none());
}

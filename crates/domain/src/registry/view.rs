//! Who sees which of a person's fields: each purpose of reading the
//! registry shows the fields that purpose needs and no more, and a role
//! reads only for the purposes it holds (`policy::Action::ReadResidents`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Person;
use crate::access::ReadPurpose;
use crate::refusal::Text;

/// A field of a person's record, in the order of the city's layout.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    IdNumber,
    Name,
    Sex,
    Birth,
    Ethnicity,
    RegisteredAddress,
    ResidenceAddress,
    Community,
    Household,
    Relationship,
    Phone,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::IdNumber,
        Field::Name,
        Field::Sex,
        Field::Birth,
        Field::Ethnicity,
        Field::RegisteredAddress,
        Field::ResidenceAddress,
        Field::Community,
        Field::Household,
        Field::Relationship,
        Field::Phone,
    ];

    /// The column's name in the city's layout (`身份证号`).
    pub fn column(self) -> &'static str {
        super::import::COLUMNS[self as usize]
    }

    /// The field's name on an English page.
    pub fn label(self) -> Text {
        let en = match self {
            Field::IdNumber => "Identity number",
            Field::Name => "Name",
            Field::Sex => "Sex",
            Field::Birth => "Date of birth",
            Field::Ethnicity => "Ethnic group",
            Field::RegisteredAddress => "Registered address",
            Field::ResidenceAddress => "Address of residence",
            Field::Community => "Community",
            Field::Household => "Household number",
            Field::Relationship => "Relationship to the head",
            Field::Phone => "Contact number",
        };
        Text::new(self.column(), en)
    }

    /// The field's value in a record, as held (codes where the standard
    /// has codes; empty when the record has none).
    pub fn of(self, p: &Person) -> String {
        p.cells()[self as usize].clone()
    }
}

/// The fields a purpose shows. Keeping a community's records needs all of
/// them; reviewing the district's records (duplicates, corrections) needs
/// who a person is and where, not how to call them; serving a home-care
/// order needs whom to serve, where, and how to call them; no other
/// purpose reads the registry.
pub fn fields_for(purpose: ReadPurpose) -> &'static [Field] {
    static FIELDS: [Field; 11] = Field::ALL;
    static CARE: [Field; 3] = [Field::Name, Field::ResidenceAddress, Field::Phone];
    match purpose {
        ReadPurpose::CareService => &CARE,
        ReadPurpose::KeepRecords => &FIELDS,
        // Every field but the last, the contact number. A city inquiry
        // asks for some of these; the request names which.
        ReadPurpose::RegistryReview | ReadPurpose::CityInquiry => &FIELDS[..10],
        ReadPurpose::CounterService
        | ReadPurpose::HandleCase
        | ReadPurpose::HotlineCall
        | ReadPurpose::HandleTicket
        | ReadPurpose::Supervision
        | ReadPurpose::IdentityCheck => &[],
    }
}

/// A person's record as a purpose shows it: the fields it needs, by name,
/// and none else (a field not shown is absent, not empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    /// The registry's own number for the record.
    pub id: i64,
    /// Values as held: codes of the standard for sex (GB/T 2261.1),
    /// ethnicity (GB/T 3304) and relationship (GB/T 4761).
    #[schema(value_type = BTreeMap<String, String>)]
    pub fields: BTreeMap<Field, String>,
}

impl PersonView {
    /// The record as `purpose` may show it.
    pub fn of(id: i64, person: &Person, purpose: ReadPurpose) -> PersonView {
        PersonView::with(id, person, fields_for(purpose))
    }

    /// The record as an approved city inquiry shows it: the fields the
    /// request asked for, of those the purpose may show.
    pub fn asked(id: i64, person: &Person, asked: &[Field]) -> PersonView {
        let allowed = fields_for(ReadPurpose::CityInquiry);
        let fields: Vec<Field> = asked
            .iter()
            .copied()
            .filter(|f| allowed.contains(f))
            .collect();
        PersonView::with(id, person, &fields)
    }

    /// The whole record, as the person it belongs to sees it.
    pub fn own(id: i64, person: &Person) -> PersonView {
        PersonView::with(id, person, &Field::ALL)
    }

    fn with(id: i64, person: &Person, fields: &[Field]) -> PersonView {
        PersonView {
            id,
            fields: fields.iter().map(|f| (*f, f.of(person))).collect(),
        }
    }

    pub fn get(&self, field: Field) -> Option<&str> {
        self.fields.get(&field).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Actor, Grant, OrgTree, Role, UserKind};
    use crate::ids::OrgCode;
    use crate::policy::{authorize, Action};
    use proptest::prelude::*;

    /// What each role's work needs of a person's record, stated apart from
    /// the purposes, so that the two tables check each other.
    fn needs(role: Role) -> &'static [Field] {
        match role {
            Role::CommunityWorker => &Field::ALL,
            Role::Registrar => &[
                Field::IdNumber,
                Field::Name,
                Field::Sex,
                Field::Birth,
                Field::Ethnicity,
                Field::RegisteredAddress,
                Field::ResidenceAddress,
                Field::Community,
                Field::Household,
                Field::Relationship,
            ],
            _ => &[],
        }
    }

    fn org(s: &str) -> OrgCode {
        OrgCode::parse(s).expect("org")
    }

    const PLACES: [&str; 6] = [
        "330100",
        "330106",
        "330106-001000",
        "330106-001001",
        "330106-001002",
        "330108",
    ];

    fn tree() -> OrgTree {
        let pairs = [
            ("330100", None),
            ("330106", Some("330100")),
            ("330106-001000", Some("330106")),
            ("330106-001001", Some("330106-001000")),
            ("330106-001002", Some("330106-001000")),
            ("330108", Some("330100")),
        ];
        let owned: Vec<(OrgCode, Option<OrgCode>)> =
            pairs.iter().map(|(c, p)| (org(c), p.map(org))).collect();
        OrgTree::new(owned.iter().map(|(c, p)| (c, p.as_ref())))
    }

    fn person(phone: Option<String>, id_number: Option<String>) -> Person {
        Person {
            id_number,
            name: "王小明".into(),
            sex: "1".into(),
            birth: "1990-01-01".into(),
            ethnicity: "01".into(),
            registered_address: "北山街道1号".into(),
            residence_address: "北山街道2号".into(),
            community: "330106001001".into(),
            household: "H1".into(),
            relationship: "02".into(),
            phone,
        }
    }

    proptest! {
        /// Whatever roles a staff member holds, wherever, and whatever
        /// purpose they state: a read the policy allows shows only fields
        /// that one of their roles' work needs, and only the purpose's.
        #[test]
        fn no_role_reads_a_field_outside_its_purpose(
            grants in proptest::collection::vec((0..Role::ALL.len(), 0..PLACES.len()), 1..4),
            purpose in 0..ReadPurpose::ALL.len(),
            community in 3..5usize,
            phone in proptest::option::of("1[3-9][0-9]{9}"),
            id_number in proptest::option::of(Just("33010619900101123X".to_string())),
        ) {
            let tree = tree();
            let grants: Vec<Grant> = grants
                .iter()
                .map(|(r, p)| Grant { role: Role::ALL[*r], org: org(PLACES[*p]) })
                .collect();
            let actor = Actor {
                user_id: 1,
                login: "t".into(),
                display_name: "t".into(),
                kind: UserKind::Staff,
                org: Some(grants[0].org.clone()),
                grants: grants.clone(),
                posts: vec![],
                verified_id: None,
            };
            let purpose = ReadPurpose::ALL[purpose];
            let (community, district) = (org(PLACES[community]), org("330106"));
            let allowed = authorize(
                &actor,
                &Action::ReadResidents { community: &community, district: &district, purpose },
                &tree,
            )
            .is_ok();
            let view = PersonView::of(7, &person(phone, id_number), purpose);
            if allowed {
                let needed: Vec<Field> =
                    grants.iter().flat_map(|g| needs(g.role)).copied().collect();
                for field in view.fields.keys() {
                    prop_assert!(needed.contains(field), "{field:?} read for {purpose:?}");
                    prop_assert!(fields_for(purpose).contains(field));
                }
                prop_assert!(!view.fields.is_empty());
            }
        }
    }

    #[test]
    fn a_registrar_reviews_without_the_contact_number_and_the_person_sees_all() {
        let p = person(Some("13800000000".into()), None);
        let review = PersonView::of(1, &p, ReadPurpose::RegistryReview);
        assert_eq!(review.get(Field::Phone), None);
        assert_eq!(review.get(Field::Name), Some("王小明"));
        assert_eq!(review.get(Field::IdNumber), Some(""));
        let keep = PersonView::of(1, &p, ReadPurpose::KeepRecords);
        assert_eq!(keep.get(Field::Phone), Some("13800000000"));
        assert!(PersonView::of(1, &p, ReadPurpose::HandleCase)
            .fields
            .is_empty());
        assert_eq!(PersonView::own(1, &p).fields.len(), Field::ALL.len());
        // A city inquiry shows what it asked for, never the contact number.
        let asked = PersonView::asked(1, &p, &[Field::Name, Field::Phone]);
        assert_eq!(asked.fields.keys().collect::<Vec<_>>(), [&Field::Name]);
        assert_eq!(Field::Relationship.column(), "与户主关系");
    }
}

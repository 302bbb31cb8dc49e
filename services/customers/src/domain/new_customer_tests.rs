//! Unit tests of `new_customer`: parsing, contacts, ownership and extras.

use super::*;

mod owner_and_contacts {
    use super::*;

    pub(super) fn agent() -> Principal {
        Principal {
            sub: Uuid::now_v7().to_string(),
            role: Role::Agent,
            scopes: vec![],
            merchant_id: None,
            phone_hash: None,
            issued_at: 0,
        }
    }

    fn req(v: serde_json::Value) -> CreateCustomer {
        serde_json::from_value(v).expect("request shape")
    }

    #[test]
    fn contacts_are_normalised_and_indexed_and_the_agent_owns_the_customer() {
        let caller = agent();
        let c = NewCustomer::parse(
            req(serde_json::json!({"kind": "individual", "name": " 李雷 ",
                "phones": ["+86 138-1234-5678"], "emails": ["Li@Example.com"],
                "region": {"city": "深圳"}})),
            false,
        )
        .expect("valid")
        .owned_by_default(&caller);
        assert_eq!(c.name, "李雷");
        assert_eq!(c.contacts.phones, vec!["13812345678"]);
        assert_eq!(
            c.identities,
            vec![
                ("phone", "13812345678".into()),
                ("email", "li@example.com".into())
            ]
        );
        assert_eq!(c.region.and_then(|r| r.city_tier), Some("tier1".into()));
        assert_eq!(c.owner_id, caller.user_id());
    }

    #[test]
    fn a_phone_email_tag_or_lane_given_twice_is_kept_once() {
        let c = NewCustomer::parse(
            req(serde_json::json!({"kind": "individual", "name": "韩梅梅",
                "phones": ["13800001111", "+86 138 0000 1111", "13900002222"],
                "emails": ["a@b.cn", "A@B.cn"], "tags": ["vip", "b2b", "vip"],
                "lanes": ["asia", "asia"]})),
            false,
        )
        .expect("valid");
        assert_eq!(c.contacts.phones, ["13800001111", "13900002222"]);
        assert_eq!(c.contacts.emails, ["a@b.cn"]);
        assert_eq!(c.tags, ["vip", "b2b"]);
        assert_eq!(c.lanes, ["asia"]);
        assert_eq!(c.identities.len(), 3, "{:?}", c.identities);
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let err = NewCustomer::parse(
            req(
                serde_json::json!({"kind": "robot", "name": "", "phones": ["1"],
                "emails": ["x"], "size": "huge",
                "company": {"legal_name": "A", "credit_code": "123"},
                "preferences": {"contact_channel": "pigeon"}, "birthday": "1990-13-01"}),
            ),
            false,
        )
        .expect_err("invalid");
        let ApiError::Validation(errors) = err else {
            panic!("validation error expected")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "kind",
                "name",
                "phones[0]",
                "emails[0]",
                "company.credit_code",
                "size",
                "preferences.contact_channel",
                "birthday"
            ]
        );
    }
}

mod extras {
    use super::*;

    #[test]
    fn birthday_and_family_are_kept_with_consent_and_checked() {
        let mut errors = Vec::new();
        let e = extras(&mut errors, &Some("1990-03-14".into()), &None, true).expect("extras");
        assert_eq!(e.birthday_key().as_deref(), Some("birthday:03-14"));
        assert!(errors.is_empty());
        extras(&mut errors, &Some("14/03/1990".into()), &None, true);
        assert_eq!(errors[0].field, "birthday");
    }

    #[test]
    fn without_consent_birthday_and_family_are_checked_but_not_kept() {
        let mut errors = Vec::new();
        let family = Some(serde_json::json!({"children": 2}));
        assert_eq!(
            extras(&mut errors, &Some("1990-03-14".into()), &family, false),
            None
        );
        assert!(errors.is_empty(), "no error: only not stored");
        extras(&mut errors, &Some("1990-02-30".into()), &None, false);
        assert_eq!(errors[0].field, "birthday", "a bad date is still refused");
    }

    #[test]
    fn only_an_agent_creating_without_an_owner_becomes_it() {
        let req = |v| serde_json::from_value::<CreateCustomer>(v).expect("request shape");
        let agent = super::owner_and_contacts::agent();
        let bare = serde_json::json!({"kind": "individual", "name": "李雷"});
        let parsed = NewCustomer::parse(req(bare.clone()), false).expect("valid");
        assert_eq!(parsed.owner_id, None, "parsing alone names no owner");
        let owned = parsed.owned_by_default(&agent);
        assert_eq!(owned.owner_id, agent.user_id());
        let named = Uuid::now_v7();
        let other = serde_json::json!({"kind": "individual", "name": "李雷", "owner_id": named});
        let kept = NewCustomer::parse(req(other), false).expect("valid");
        assert_eq!(kept.owned_by_default(&agent).owner_id, Some(named));
        let admin = Principal {
            role: Role::Admin,
            ..agent
        };
        let none = NewCustomer::parse(req(bare), false).expect("valid");
        assert_eq!(none.owned_by_default(&admin).owner_id, None);
    }
}

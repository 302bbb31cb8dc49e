//! The role matrix of SPEC §3, stated once. A handler declares what it needs in its signature
//! (`caller: Authorized<caps::ShipmentsCreate>`), so a route without a check stands out in
//! review; what a role may see *within* a capability (a merchant's own shipments, an agent's
//! own customers) is the handler's tenant filter.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, Either, LocalBoxFuture, Ready};
use std::marker::PhantomData;
use std::ops::Deref;

use crate::auth::{Principal, Role};
use crate::problem::ApiError;

/// Declares every capability once, with the OAuth2 scope naming it: the [`Capability`] enum,
/// `Capability::ALL`, `Capability::scope` and the marker types of [`caps`].
macro_rules! capabilities {
    ($($name:ident => $scope:literal),* $(,)?) => {
        /// A row of the SPEC §3 matrix.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Capability {
            $($name,)*
        }

        impl Capability {
            pub const ALL: [Self; [$($scope),*].len()] = [$(Self::$name),*];

            /// The OAuth2 scope naming this capability. A token carrying scopes may use only the
            /// capabilities they name (its role must allow them too); a token without scopes
            /// (staff, API keys, clients registered without scopes) is limited by its role alone.
            pub const fn scope(self) -> &'static str {
                match self {
                    $(Self::$name => $scope,)*
                }
            }
        }

        /// Marker types, one per capability.
        pub mod caps {
            use super::{Cap, Capability};
            $(
                #[doc = concat!("Marker of [`Capability::", stringify!($name), "`].")]
                pub struct $name;
                impl Cap for $name {
                    const CAPABILITY: Capability = Capability::$name;
                }
            )*
        }
    };
}

// NOTE: external contract — the scope names are what OAuth2 clients are registered with.
capabilities! {
    CustomersRead => "customers:read",
    CustomersWrite => "customers:write",
    CustomerPiiUnmasked => "customers:pii",
    ShipmentsCreate => "shipments:create",
    TrackingEventsIngest => "tracking-events:ingest",
    ShipmentsRead => "shipments:read",
    ComplaintsCreate => "complaints:create",
    ComplaintsRead => "complaints:read",
    ComplaintsApprove => "complaints:approve",
    SlaPoliciesWrite => "sla-policies:write",
    Analytics => "analytics:read",
    Webhooks => "webhooks",
    Administration => "admin",
}

use Role::*;

impl Capability {
    /// The roles holding this capability (some only for their own data, see the matrix).
    // NOTE: external contract — SPEC §3's role matrix, cell for cell.
    pub const fn roles(self) -> &'static [Role] {
        match self {
            Self::CustomersRead => &[
                Admin, Manager, Supervisor, Agent, Analyst, Merchant, Customer,
            ],
            Self::CustomersWrite => &[Admin, Manager, Supervisor, Agent, Customer],
            Self::CustomerPiiUnmasked => &[Admin, Manager, Supervisor, Agent, Merchant, Customer],
            Self::ShipmentsCreate => &[Admin, Manager, Agent, Operator, Merchant],
            Self::TrackingEventsIngest => &[Admin, Operator],
            Self::ShipmentsRead => &[
                Admin, Manager, Supervisor, Agent, Analyst, Operator, Merchant, Customer,
            ],
            Self::ComplaintsCreate => &[Admin, Manager, Supervisor, Agent, Merchant, Customer],
            Self::ComplaintsRead => &[
                Admin, Manager, Supervisor, Agent, Analyst, Merchant, Customer,
            ],
            Self::ComplaintsApprove => &[Admin, Manager, Supervisor],
            Self::SlaPoliciesWrite => &[Admin, Manager],
            Self::Analytics => &[Admin, Manager, Supervisor, Agent, Analyst, Merchant],
            Self::Webhooks => &[Admin, Merchant, App],
            Self::Administration => &[Admin],
        }
    }

    pub fn allows(self, role: Role) -> bool {
        self.roles().contains(&role)
    }

    /// Whether `scope` names a capability.
    pub fn is_scope(scope: &str) -> bool {
        Self::ALL.iter().any(|c| c.scope() == scope)
    }
}

impl Principal {
    /// Refuses (`403`) unless the caller's role holds `cap`.
    /// Refuses (`403`) as well when the token carries scopes and none names `cap`.
    pub fn require_capability(&self, cap: Capability) -> Result<(), ApiError> {
        if !cap.allows(self.role) {
            return Err(ApiError::Forbidden(format!(
                "role {} may not do this",
                self.role.as_str()
            )));
        }
        if !self.scopes.is_empty() && !self.scopes.iter().any(|s| s == cap.scope()) {
            return Err(ApiError::Forbidden(format!(
                "the token's scopes do not include {}",
                cap.scope()
            )));
        }
        Ok(())
    }
}

/// A capability as a type, for [`Authorized`].
pub trait Cap {
    const CAPABILITY: Capability;
}

/// A verified caller whose role holds capability `C`: `401` without a valid token, `403` when
/// the role lacks `C`.
pub struct Authorized<C: Cap> {
    pub principal: Principal,
    _cap: PhantomData<C>,
}

impl<C: Cap> Deref for Authorized<C> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<C: Cap + 'static> FromRequest for Authorized<C> {
    type Error = actix_web::Error;
    type Future = Either<
        Ready<Result<Self, Self::Error>>,
        LocalBoxFuture<'static, Result<Self, Self::Error>>,
    >;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        match Principal::from_request(req, payload) {
            Either::Left(now) => Either::Left(ready(now.into_inner().and_then(Self::admit))),
            Either::Right(later) => {
                Either::Right(Box::pin(async move { Self::admit(later.await?) }))
            }
        }
    }
}

impl<C: Cap> Authorized<C> {
    fn admit(principal: Principal) -> Result<Self, actix_web::Error> {
        principal.require_capability(C::CAPABILITY)?;
        Ok(Self {
            principal,
            _cap: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_scoped_token_may_use_only_the_capabilities_its_scopes_name() {
        let merchant = |scopes: &[&str]| Principal {
            sub: "client:kdc_1".into(),
            role: Merchant,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            merchant_id: None,
            phone_hash: None,
            issued_at: 0,
        };
        let scoped = merchant(&["shipments:read"]);
        assert!(scoped.require_capability(Capability::ShipmentsRead).is_ok());
        assert!(scoped
            .require_capability(Capability::ShipmentsCreate)
            .is_err());
        assert!(merchant(&[])
            .require_capability(Capability::ShipmentsCreate)
            .is_ok());
        assert!(
            merchant(&["admin"])
                .require_capability(Capability::Administration)
                .is_err(),
            "a scope never widens the role"
        );
        assert!(Capability::is_scope("complaints:read") && !Capability::is_scope("admin:all"));
    }

    use super::*;

    /// SPEC §3's matrix transcribed as a table: ✓ (also "own"/"owned"/"the customer's") = allowed.
    const MATRIX: &[(Capability, [bool; 8])] = &[
        //                                   admin  manager supervisor agent analyst operator merchant customer
        (
            Capability::CustomersRead,
            [true, true, true, true, true, false, true, true],
        ),
        (
            Capability::CustomersWrite,
            [true, true, true, true, false, false, false, true],
        ),
        (
            Capability::CustomerPiiUnmasked,
            [true, true, true, true, false, false, true, true],
        ),
        (
            Capability::ShipmentsCreate,
            [true, true, false, true, false, true, true, false],
        ),
        (
            Capability::TrackingEventsIngest,
            [true, false, false, false, false, true, false, false],
        ),
        (
            Capability::ShipmentsRead,
            [true, true, true, true, true, true, true, true],
        ),
        (
            Capability::ComplaintsCreate,
            [true, true, true, true, false, false, true, true],
        ),
        (
            Capability::ComplaintsRead,
            [true, true, true, true, true, false, true, true],
        ),
        (
            Capability::ComplaintsApprove,
            [true, true, true, false, false, false, false, false],
        ),
        (
            Capability::SlaPoliciesWrite,
            [true, true, false, false, false, false, false, false],
        ),
        (
            Capability::Analytics,
            [true, true, true, true, true, false, true, false],
        ),
        (
            Capability::Webhooks,
            [true, false, false, false, false, false, true, false],
        ),
        (
            Capability::Administration,
            [true, false, false, false, false, false, false, false],
        ),
    ];
    const COLUMNS: [Role; 8] = [
        Admin, Manager, Supervisor, Agent, Analyst, Operator, Merchant, Customer,
    ];

    #[test]
    fn the_capabilities_are_the_spec_matrix_cell_for_cell() {
        assert_eq!(MATRIX.len(), Capability::ALL.len());
        for (cap, row) in MATRIX {
            for (role, allowed) in COLUMNS.iter().zip(row) {
                assert_eq!(cap.allows(*role), *allowed, "{cap:?} for {role:?}");
            }
        }
    }

    #[test]
    fn the_app_role_may_only_manage_its_webhooks() {
        let app_caps: Vec<_> = Capability::ALL
            .into_iter()
            .filter(|c| c.allows(App))
            .collect();
        assert_eq!(app_caps, vec![Capability::Webhooks]);
    }
}

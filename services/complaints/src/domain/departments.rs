//! Who may be given a case (SPEC §6 "assignment to an agent only within their department";
//! seed 002 §3.1 责任划分, ch. 6 团队组织架构): the rule over the department directory.

use super::vocab::Department;

/// The department a case without one belongs to: customer service receives, registers and
/// triages every complaint (seed 002 §3.1.1).
pub const RECEIVING: Department = Department::CustomerService;

/// What the directory knows of an assignee.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// The department whose roster lists them.
    pub member_of: Option<Department>,
    /// The departments they supervise.
    pub supervises: Vec<Department>,
}

impl Placement {
    /// Whether the directory knows this person at all.
    pub fn known(&self) -> bool {
        self.member_of.is_some() || !self.supervises.is_empty()
    }

    /// Whether they work in `department` (on its roster or as its supervisor).
    pub fn works_in(&self, department: Department) -> bool {
        self.member_of == Some(department) || self.supervises.contains(&department)
    }
}

/// Why an assignment is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The assignee works in other departments, not the one named.
    OtherDepartment(Vec<Department>),
    /// The department keeps a roster and the assignee is not on it.
    NotOnRoster,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OtherDepartment(d) => {
                let names: Vec<&str> = d.iter().map(|d| d.as_ref()).collect();
                write!(f, "works in {}, not in this department", names.join(", "))
            }
            Self::NotOnRoster => write!(f, "is not on this department's roster"),
        }
    }
}

/// Whether a case may be given to `assignee` in `department`. A department with a roster takes
/// only its own people; a person the directory places elsewhere is refused everywhere else; a
/// department nobody has staffed yet takes anyone the directory does not know (a desk that has
/// not filled in its directory keeps working).
pub fn may_assign(
    department: Department,
    assignee: &Placement,
    rostered: bool,
) -> Result<(), Refusal> {
    if assignee.works_in(department) {
        return Ok(());
    }
    if assignee.known() {
        let mut elsewhere: Vec<Department> = assignee.member_of.into_iter().collect();
        elsewhere.extend(assignee.supervises.iter().copied());
        elsewhere.sort();
        elsewhere.dedup();
        return Err(Refusal::OtherDepartment(elsewhere));
    }
    if rostered {
        return Err(Refusal::NotOnRoster);
    }
    Ok(())
}

/// The department a case given to someone by the service itself goes to: the one whose roster
/// lists them, else the first they supervise, else the receiving desk. A proactive case's owner
/// (SPEC §6) is named by the customer file, not chosen from a roster, so the case follows
/// them to where they work rather than being refused by [`may_assign`].
pub fn home_of(person: &Placement) -> Department {
    person
        .member_of
        .or_else(|| person.supervises.iter().min().copied())
        .unwrap_or(RECEIVING)
}

/// Whether an agent whose roster is `home` may hand a case to `department`: agents work within
/// their own department; a transfer elsewhere is for supervisors and above.
pub fn agent_may_transfer(home: Option<Department>, department: Department) -> bool {
    home.is_none_or(|h| h == department)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Department::*;

    fn member(d: Department) -> Placement {
        Placement {
            member_of: Some(d),
            supervises: vec![],
        }
    }

    #[test]
    fn a_member_takes_cases_of_their_own_department_only() {
        assert_eq!(may_assign(Legal, &member(Legal), true), Ok(()));
        assert_eq!(
            may_assign(Operations, &member(Legal), true),
            Err(Refusal::OtherDepartment(vec![Legal]))
        );
        assert_eq!(
            may_assign(Operations, &member(Legal), false),
            Err(Refusal::OtherDepartment(vec![Legal])),
            "an unstaffed department does not take another department's people"
        );
    }

    #[test]
    fn a_supervisor_takes_cases_of_the_departments_they_supervise() {
        let s = Placement {
            member_of: None,
            supervises: vec![Compliance, Legal],
        };
        assert_eq!(may_assign(Legal, &s, true), Ok(()));
        assert_eq!(
            may_assign(Sales, &s, false),
            Err(Refusal::OtherDepartment(vec![Legal, Compliance]))
        );
    }

    #[test]
    fn strangers_only_go_to_departments_without_a_roster() {
        let nobody = Placement::default();
        assert_eq!(may_assign(Sales, &nobody, false), Ok(()));
        assert_eq!(may_assign(Sales, &nobody, true), Err(Refusal::NotOnRoster));
    }

    #[test]
    fn a_case_the_service_assigns_follows_its_assignee_to_their_department() {
        assert_eq!(home_of(&member(Sales)), Sales);
        let supervisor = Placement {
            member_of: None,
            supervises: vec![Legal, Compliance],
        };
        assert_eq!(
            home_of(&supervisor),
            Legal,
            "the first in the vocabulary's order"
        );
        assert_eq!(home_of(&Placement::default()), RECEIVING);
    }

    #[test]
    fn agents_transfer_within_their_department() {
        assert!(agent_may_transfer(Some(Legal), Legal));
        assert!(!agent_may_transfer(Some(Legal), Operations));
        assert!(agent_may_transfer(None, Operations));
    }
}

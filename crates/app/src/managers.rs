//! Account managers and salespeople: the people who own customer
//! relationships.

use serde::Serialize;
use tegoed_core::AccountManager;
use tegoed_core::party::Email;
use tegoed_store::{ReadTx, WriteTx};

use crate::access::{Action, Actor};
use crate::audit::{Detail, Label};

use crate::error::{AppError, Result};

/// An account manager with the number of customers they own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagerLine {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub customers: u64,
}

/// The account manager called `name` (or with that e-mail address),
/// ignoring case.
pub fn find(
    tx: &mut dyn ReadTx,
    name: &str,
) -> Result<(tegoed_core::AccountManagerId, tegoed_core::AccountManager)> {
    let wanted = name.trim().to_lowercase();
    tx.account_managers()?
        .into_iter()
        .find(|(_, m)| {
            m.name.to_lowercase() == wanted
                || m.email
                    .as_ref()
                    .is_some_and(|e| e.as_str().to_lowercase() == wanted)
        })
        .ok_or_else(|| crate::AppError::NotFound(format!("no account manager '{name}'")))
}

pub fn list(tx: &mut dyn ReadTx) -> Result<Vec<ManagerLine>> {
    let directory = tx.customer_directory()?;
    Ok(tx
        .account_managers()?
        .into_iter()
        .map(|(id, manager)| ManagerLine {
            id: id.0,
            customers: directory
                .iter()
                .filter(|c| c.account_manager == Some(id))
                .count() as u64,
            name: manager.name,
            email: manager.email.map(|e| e.as_str().to_string()),
        })
        .collect())
}

/// Adds an account manager, or sets the e-mail of the one with this name.
/// Returns whether one was created.
pub fn add(tx: &mut dyn WriteTx, actor: &Actor, name: &str, email: Option<&str>) -> Result<bool> {
    actor.require(Action::ManageUsers, None)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid("an account manager needs a name".into()));
    }
    let email = email
        .map(Email::parse)
        .transpose()
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    let managers = tx.account_managers()?;
    if let Some(email) = &email
        && let Some((_, other)) = managers
            .iter()
            .find(|(_, m)| m.email.as_ref() == Some(email) && !m.name.eq_ignore_ascii_case(name))
    {
        return Err(AppError::Invalid(format!(
            "{} already uses {}",
            other.name, email
        )));
    }
    let manager = AccountManager {
        name: name.to_string(),
        email,
    };
    let created = match managers
        .iter()
        .find(|(_, m)| m.name.eq_ignore_ascii_case(name))
    {
        Some((id, _)) => {
            tx.update_account_manager(*id, &manager)?;
            false
        }
        None => {
            tx.insert_account_manager(&manager)?;
            true
        }
    };
    actor.audit(
        tx,
        if created {
            "manager.add"
        } else {
            "manager.update"
        },
        name,
        Detail::none().text(
            Label::Email,
            manager.email.as_ref().map_or("", |e| e.as_str()),
        ),
    )?;
    Ok(created)
}

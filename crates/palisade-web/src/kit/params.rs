//! Query and path parameters shared by several resources.

use crate::kit::error::PageError;
use palisade_app::AppError;
use palisade_app::assessments::check_year;
use palisade_domain::org::{Category, OrgType};

/// `?type=`: empty means any.
pub(crate) fn type_param(v: &Option<String>) -> Result<Option<OrgType>, AppError> {
    v.as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().map_err(|m: String| AppError::invalid("type", m)))
        .transpose()
}

/// `?category=`, 1 to 4.
pub(crate) fn category_param(v: Option<u8>) -> Result<Option<Category>, AppError> {
    v.map(|c| {
        c.try_into()
            .map_err(|m: String| AppError::invalid("category", m))
    })
    .transpose()
}

/// A year from the address: a number within range, or the page is not found.
pub(crate) fn year_param(raw: &str) -> Result<i32, PageError> {
    let year = raw.parse::<i32>().map_err(|_| AppError::NotFound)?;
    check_year(year)?;
    Ok(year)
}

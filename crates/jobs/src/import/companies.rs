//! The companies an import's rows name, resolved in one pass: the candidates are loaded
//! with a few batched queries, matched in memory with the rules of
//! `ondo_store::companies::find_matching_in` (corporate number, then normalised name with
//! a compatible legal form, then corporate domain), and the missing ones are created
//! together. A company created for one row is found by the later rows that name it.

use std::collections::HashMap;

use ondo_store::companies::CompanyInput;
use ondo_store::imports::{CompanyKeys, IdTable};
use ondo_store::{StoreError, Tx, WorkspaceId};

use super::ParsedRow;

/// A company id as resolved before anything is written: one that exists, or the
/// position of one to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CompanyRef {
    Existing(i64),
    New(usize),
}

/// Companies known to the import, indexed the ways rows find them.
#[derive(Default)]
pub(super) struct CompanyResolver {
    by_number: HashMap<String, CompanyRef>,
    /// Name key → (legal form key, company), oldest first.
    by_name: HashMap<String, Vec<(Option<String>, CompanyRef)>>,
    by_domain: HashMap<String, CompanyRef>,
    /// Companies to create, in the order rows first named them.
    pub(super) new: Vec<CompanyInput>,
    cache: HashMap<CacheKey, Option<CompanyRef>>,
}

/// What decides a row's company: name key, legal form, 法人番号 and email domain.
type CacheKey = (
    Option<String>,
    Option<ondo_domain::LegalForm>,
    Option<String>,
    Option<String>,
);

impl CompanyResolver {
    /// Loads the existing companies any of `rows` may name.
    pub(super) async fn load<'a>(
        tx: &mut Tx,
        ws: WorkspaceId,
        rows: impl Iterator<Item = &'a ParsedRow>,
    ) -> Result<CompanyResolver, StoreError> {
        let (mut numbers, mut names, mut domains) = (Vec::new(), Vec::new(), Vec::new());
        for row in rows {
            numbers.extend(row.corporate_number.clone());
            names.extend(row.company.as_ref().map(|c| c.key()));
            domains.extend(row.company_domain.clone());
        }
        for v in [&mut numbers, &mut names, &mut domains] {
            v.sort_unstable();
            v.dedup();
        }
        let found = ondo_store::imports::find_companies(tx, ws, &numbers, &names, &domains).await?;
        let mut resolver = CompanyResolver::default();
        // By id, so the first one indexed under a key is the oldest, as the store orders.
        for c in found {
            resolver.index(c, |c| CompanyRef::Existing(c.id));
        }
        Ok(resolver)
    }

    fn index(&mut self, c: CompanyKeys, as_ref: impl Fn(&CompanyKeys) -> CompanyRef) {
        let r = as_ref(&c);
        if let Some(n) = c.corporate_number {
            self.by_number.entry(n).or_insert(r);
        }
        if let Some(d) = c.domain {
            self.by_domain.entry(d).or_insert(r);
        }
        self.by_name
            .entry(c.name_key)
            .or_default()
            .push((c.legal_form, r));
    }

    /// The company a row names: found, or (when `create`) added to those to create.
    /// `None` when the row names no company, or names one nobody has and `create` is off.
    pub(super) fn resolve(&mut self, row: &ParsedRow, create: bool) -> Option<CompanyRef> {
        if row.company.is_none() && row.corporate_number.is_none() {
            return None;
        }
        let cache_key = (
            row.company.as_ref().map(|c| c.key()),
            row.company.as_ref().and_then(|c| c.legal_form),
            row.corporate_number.clone(),
            row.company_domain.clone(),
        );
        if let Some(found) = self.cache.get(&cache_key) {
            return *found;
        }
        let found = self.find(row).or_else(|| {
            let name = row.company.clone()?;
            if !create {
                return None;
            }
            let r = CompanyRef::New(self.new.len());
            let keys = CompanyKeys {
                id: 0,
                name_key: name.key(),
                legal_form: name.legal_form.map(|f| f.key().to_string()),
                corporate_number: row.corporate_number.clone(),
                domain: row.company_domain.clone(),
            };
            self.new.push(CompanyInput {
                name: Some(name),
                corporate_number: row.corporate_number.clone(),
                domain: row.company_domain.clone(),
                address: row.company_address.clone(),
                industry: row.industry.clone(),
            });
            self.index(keys, |_| r);
            Some(r)
        });
        self.cache.insert(cache_key, found);
        found
    }

    /// The rules of `find_matching_in`, in memory.
    fn find(&self, row: &ParsedRow) -> Option<CompanyRef> {
        if let Some(found) = row
            .corporate_number
            .as_ref()
            .and_then(|n| self.by_number.get(n))
        {
            return Some(*found);
        }
        if let Some(name) = &row.company {
            let form = name.legal_form.map(|f| f.key());
            let same = |f: &Option<String>| f.as_deref().unwrap_or("") == form.unwrap_or("");
            if let Some(candidates) = self.by_name.get(&name.key()) {
                let compatible = |f: &Option<String>| same(f) || f.is_none() || form.is_none();
                if let Some((_, r)) = candidates
                    .iter()
                    .find(|(f, _)| same(f))
                    .or_else(|| candidates.iter().find(|(f, _)| compatible(f)))
                {
                    return Some(*r);
                }
            }
        }
        row.company_domain
            .as_ref()
            .and_then(|d| self.by_domain.get(d))
            .copied()
    }

    /// Creates the new companies with reserved ids; returns the id of each new one, by
    /// position.
    pub(super) async fn create(
        &self,
        tx: &mut Tx,
        ws: WorkspaceId,
    ) -> Result<Vec<i64>, StoreError> {
        let ids = ondo_store::imports::reserve_ids(tx, IdTable::Companies, self.new.len()).await?;
        let rows: Vec<(i64, CompanyInput)> = ids.iter().copied().zip(self.new.clone()).collect();
        ondo_store::imports::insert_companies(tx, ws, &rows).await?;
        Ok(ids)
    }
}

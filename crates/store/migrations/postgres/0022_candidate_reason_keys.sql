-- Imports stored a candidate pair's reason as the enum's Rust name (SameNameAndCompany)
-- while the API stored its key (same_name_and_company), which the review page translates:
-- pairs from imports showed the raw name there. Imports now store the key; earlier rows
-- are rewritten.
UPDATE candidate_pairs SET reason = 'same_name_and_company' WHERE reason = 'SameNameAndCompany';
UPDATE candidate_pairs SET reason = 'variant_spelling' WHERE reason = 'VariantSpelling';
UPDATE candidate_pairs SET reason = 'same_reading_same_company' WHERE reason = 'SameReadingSameCompany';
UPDATE candidate_pairs SET reason = 'similar_name_same_company' WHERE reason = 'SimilarNameSameCompany';
UPDATE candidate_pairs SET reason = 'same_email_local_same_domain' WHERE reason = 'SameEmailLocalSameDomain';
UPDATE candidate_pairs SET reason = 'same_company_name_different_form' WHERE reason = 'SameCompanyNameDifferentForm';
UPDATE candidate_pairs SET reason = 'same_romaji_same_company' WHERE reason = 'SameRomajiSameCompany';

DROP INDEX customers_care_consent;

DROP INDEX claims_parcel;

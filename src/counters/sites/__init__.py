"""Sites: registering a site and listing them (`registry`)."""

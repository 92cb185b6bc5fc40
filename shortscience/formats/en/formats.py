# One way of writing dates across the site ("Dec 1, 2026"), read by Django's |date filter
# through FORMAT_MODULE_PATH; the admin follows it too.
DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y, H:i"
YEAR_MONTH_FORMAT = "M Y"
MONTH_DAY_FORMAT = "M j"
SHORT_DATE_FORMAT = "M j, Y"
SHORT_DATETIME_FORMAT = "M j, Y, H:i"

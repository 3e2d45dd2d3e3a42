"""The email audit: parse a saved message, classify every link and host in it, check each, and say
whether its click tracking is branded; its findings and its output."""

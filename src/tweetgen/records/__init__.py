"""Plain records every layer shares (see TEAM layering): the account's profile."""

"""Where Bluesky's public data lives (kept apart so importing the plugin stays light)."""

#: Bluesky's public AppView: serves getAuthorFeed and resolveHandle without an account.
APPVIEW = "https://public.api.bsky.app"
PLC_DIRECTORY = "https://plc.directory"
PAGE_SIZE = 100  # the most either endpoint returns per page

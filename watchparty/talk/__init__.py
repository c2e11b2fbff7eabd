"""The party talks: the host's announcements and the guests' discussion (#20)."""

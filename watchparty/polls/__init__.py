"""Polls: a party's film and/or date left to a vote of its guests (#23): service (rules),
forms (the ballot), routes (thin views). The poll page itself is rendered by watchparty.party_page."""

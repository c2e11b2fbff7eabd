"""Reviews: importing articles into reviews, and rendering review text safely."""

"""The demo city: seven real districts calibrated to the seed articles, plus megacity bulk."""

"""Cookie consent: the banner's terms, proof of each choice (GDPR Art. 7(1)), withdrawal and GPC."""

"""Knowledge loaders and caches: HPO, drugs, diseases, corpus."""

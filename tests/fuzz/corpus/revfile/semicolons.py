"doc one" "doc two"; revision = 's1'; down_revision = 's0'

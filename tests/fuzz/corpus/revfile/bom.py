"""bom doc"""
revision="bom"
down_revision=None
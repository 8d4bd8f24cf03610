"""helpers"""
def revision():
    pass

def overview(r): pass
def mine(r): pass
def unit_page(r, pk): pass
def review_page(r, pk): pass
def review_xlsx(r, pk): pass
def review_pdf(r, pk): pass
def overview_xlsx(r): pass

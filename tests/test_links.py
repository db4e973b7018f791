from bot.links import domain_is_official, find_domains


def test_find_domains_and_official_check():
    text = "bax https://e-taxes.gov.az.secure-pay.com/login və www.e-gov.az, həm də my.gov.az."
    domains = find_domains(text)
    assert domains == ["e-taxes.gov.az.secure-pay.com", "e-gov.az", "my.gov.az"]
    official = ("gov.az", "e-gov.az")
    assert [domain_is_official(d, official) for d in domains] == [False, True, True]
    assert find_domains("vergi borcu") == []

"""Page furniture inside one-block scraped text (FA-KES shapes): masked for tagging, offsets kept."""

import pytest

from searchapp.ingest.furniture import furniture_spans, mask_furniture


@pytest.mark.parametrize(
    ("text", "furniture", "content"),
    [
        ("Thu Sep 5 2013 Car bomb kills four in Damascus.", "Thu Sep 5 2013", "Car bomb kills four in Damascus."),
        ("Posted on April 19 2017 by Asharq Al-Awsat English Six Killed in Aleppo", "Posted on April 19 2017 by Asharq Al-Awsat English", "Six Killed in Aleppo"),
        ("Date of publication 24 October 2016 At least 16 civilians", "Date of publication 24 October 2016", "At least 16 civilians"),
        ("killed in Syria raid NGO AFP Friday 5 Sep 2014 The death toll rose", "AFP Friday 5 Sep 2014", "The death toll rose"),
        ("Middle East 1449 09.04.2017Get short URL 1285 The Syrian army said", "1449 09.04.2017Get short URL 1285", "The Syrian army said"),
        ("attack. Reporting by Sylvia Westall; Editing by Ron Popeski Our Standards:The Thomson Reuters Trust Principles.",
         "Reporting by Sylvia Westall; Editing by Ron Popeski Our Standards:The Thomson Reuters Trust Principles.", "attack."),
        ("in Washington September 12 2013. REUTERS/Jason Reed Secretary of State John Kerry said", "REUTERS/Jason Reed", "Secretary of State John Kerry said"),
        ("shows plume of smoke. (IHA Photo) Qamishli near the Turkish border", "(IHA Photo)", "Qamishli near the Turkish border"),
        ("were trapped. (TRT World and Agencies) The toll jumped", "(TRT World and Agencies)", "The toll jumped"),
        ("MILITARY BASES Slideshow (3 Images) Islamic State has taken", "Slideshow (3 Images)", "Islamic State has taken"),
        ("Print Tweet Views 1430 An Islamic State car bomb killed 20", "Print Tweet Views 1430", "An Islamic State car bomb killed 20"),
        ("clashes continue. Tags Syria Free Syrian Army opposition groups Idlib The Sawaiq brigade said", "Tags Syria Free Syrian Army opposition groups Idlib", "The Sawaiq brigade said"),
    ],
)
def test_furniture_is_masked_and_the_content_kept_at_its_offsets(text, furniture, content):
    masked = mask_furniture(text)
    assert len(masked) == len(text)
    start = text.index(furniture)
    assert masked[start : start + len(furniture)].strip() == ""
    assert masked[text.index(content) :].startswith(content)


def test_a_closing_block_masks_the_rest_of_the_page():
    body = "The Syrian army retook the town on Sunday after heavy fighting with rebels in the north. " * 3
    tail = "Source TRTWorld and agencies Related News Iraqs vote violations | Subscribe TRT World on Youtube"
    masked = mask_furniture(body + tail)
    assert masked.startswith(body) and masked[len(body) :].strip() == ""


def test_a_marker_early_in_the_text_masks_only_itself():
    text = "Related News came first. " + "The Syrian army retook the town on Sunday after heavy fighting. " * 4
    spans = furniture_spans(text)
    assert spans == ((0, len("Related News")),)


def test_plain_prose_has_no_furniture():
    text = "Syrian President Bashar al-Assad said on Monday that the army would retake Aleppo, Reuters reported."
    assert furniture_spans(text) == ()

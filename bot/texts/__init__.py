"""User-facing strings in Azerbaijani, Russian and English.

Kept apart from the code so that wording can change without touching logic; every key exists in
every language (tests/test_texts.py checks it).
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "az": {
        "greeting": "Salam! Mən dövlət elektron xidmətləri üzrə köməkçiyəm. Sualınızı yazın, "
        "məsələn: «vergi borcumu necə yoxlayım?»",
        "thanks": "Dəyərli rəyinizə görə təşəkkür edirik! Başqa sualınız olsa, yazın.",
        "goodbye": "Sağ olun! Yenə sualınız olsa, buradayıq.",
        "help": "Vergilər, pensiya və sosial ödənişlər, şəxsiyyət vəsiqəsi və pasport, ASAN İmza, "
        "əmlak, cərimələr, biznes qeydiyyatı və digər e-xidmətlər barədə suallara cavab "
        "verirəm. Sualınızı sadə sözlərlə yazın. Əməkdaşla danışmaq üçün «operator» yazın. "
        "Təcili hallarda: 112 (fövqəladə), 101 (yanğın), 102 (polis), 103 (təcili yardım) — "
        "bu bot təcili xidmət deyil.",
        "empty": "Mesajınızda mətn tapmadım. Sualınızı sözlərlə yazın, məsələn: «pasport necə alım?»",
        "handoff": "Bu sualı əməkdaşımıza ötürə bilərəm. Əməkdaş sizə burada cavab yazacaq.",
        "operator_request": "Yaxşı, sizi əməkdaşla əlaqələndirirəm. Əməkdaş sizə burada cavab yazacaq.",
        "clarify": "Sualınızı dəqiq başa düşmək istəyirəm. Bunlardan hansı sizə lazımdır?",
        "documents": "Sənədlər",
        "fee": "Ödəniş",
        "duration": "Müddət",
        "agency": "Qurum",
        "where": "Harada",
        "part_not_stated": "Bu bələdçidə {what} göstərilməyib. Dəqiq məlumat üçün aşağıdakı rəsmi "
        "keçidə baxın və ya əməkdaşla danışın.",
        "part_fee": "ödənişin məbləği",
        "part_duration": "müddət",
        "part_documents": "lazım olan sənədlər",
        "part_where": "harada edildiyi",
        "part_link": "keçid",
        "part_eligibility": "bu hal üçün ayrıca qayda",
        "repair": "Bağışlayın, dəqiq cavab verə bilmədim. Bəlkə bunlardan biri lazımdır? Və ya "
        "əməkdaşla danışın.",
        "repair_none": "Bağışlayın, başqa uyğun bələdçi tapmadım. Sualı əməkdaşımıza ötürə bilərəm.",
        "clarify_part": "Hansı xidmət haqqında soruşduğunuzu bilməliyəm: bunlardan birini seçin, "
        "cavabı həmin xidmət üzrə verəcəyəm.",
        "channel_online": "onlayn",
        "channel_asan": "ASAN Xidmət mərkəzində",
        "channel_both": "onlayn və ya ASAN Xidmət mərkəzində",
        "too_long": "Mesajınız çox uzundur; onun yalnız əvvəlini oxudum.",
        "complaint": "Şikayətinizi qeyd etdim və əməkdaşa ötürürəm; o sizə burada cavab yazacaq. "
        "Rəsmi şikayət üçün qurumun özünə yazılı müraciət edin (onlayn: my.gov.az, "
        "SİMA və ya ASAN İmza ilə); cavab 15 iş günü ərzində verilməlidir. Aşağıdakı "
        "keçiddə qaydası var.",
        "out_of_scope": "Bu, dövlət xidmətləri ilə bağlı sual deyil, ona görə cavab verə bilmirəm. "
        "Mən vergilər, pensiya və müavinətlər, sənədlər, ASAN İmza, əmlak, "
        "cərimələr və digər e-xidmətlər barədə kömək edirəm. Əməkdaşla danışmaq "
        "istəsəniz, «operator» yazın.",
        "personal_case": "Şəxsi işinizi yoxlamaq üçün sənədlərinizə baxmaq lazımdır, bunu yalnız "
        "əməkdaş edə bilər. Sualınızı əməkdaşa ötürə bilərəm.",
        "refer_intro": "Bu xidmət üzrə hələ addım-addım təlimatım yoxdur. Xidmət:",
        "refer_where": "Müraciət və ətraflı məlumat üçün rəsmi keçid aşağıdadır. İstəsəniz, "
        "sualınızı əməkdaşa da ötürə bilərəm.",
        "draft_notice": "ℹ️ Bu məlumatı hələ redaktor yoxlamayıb; rəsmi keçiddə dəqiqləşdirin.",
        "channel_office": "qurumun öz ofisində",
        "service_channel_online": "onlayn",
        "service_channel_asan": "ASAN Xidmət mərkəzində",
        "service_channel_office": "qurumun ofisində",
        "fallback_unknown_lang": "(Dilinizi müəyyən edə bilmədim, ona görə Azərbaycan dilində "
        "cavab verirəm. Rus və ya ingilis dilində də yaza bilərsiniz.)",
    },
    "ru": {
        "greeting": "Здравствуйте! Я помощник по электронным государственным услугам. Напишите "
        "вопрос, например: «как проверить налоговый долг?»",
        "thanks": "Спасибо за отзыв! Если появятся вопросы — пишите.",
        "goodbye": "Всего доброго! Если появятся вопросы — мы здесь.",
        "help": "Отвечаю на вопросы о налогах, пенсиях и социальных выплатах, удостоверении "
        "личности и паспорте, ASAN İmza, недвижимости, штрафах, регистрации бизнеса и "
        "других электронных услугах. Напишите вопрос простыми словами. Чтобы поговорить "
        "с сотрудником, напишите «оператор». В экстренных случаях: 112 (экстренная служба), "
        "101 (пожарная), 102 (полиция), 103 (скорая) — бот не экстренная служба.",
        "empty": "В сообщении нет текста. Напишите вопрос словами, например: «как получить паспорт?»",
        "handoff": "Я могу передать этот вопрос сотруднику. Он ответит вам здесь.",
        "operator_request": "Хорошо, соединяю вас с сотрудником. Он ответит вам здесь.",
        "clarify": "Хочу точно понять вопрос. Что из этого вам нужно?",
        "documents": "Документы",
        "fee": "Стоимость",
        "duration": "Срок",
        "agency": "Ведомство",
        "where": "Где",
        "part_not_stated": "В этой инструкции не указано: {what}. Точные сведения — по официальной "
        "ссылке ниже или у сотрудника.",
        "part_fee": "стоимость",
        "part_duration": "срок",
        "part_documents": "нужные документы",
        "part_where": "где это делается",
        "part_link": "ссылка",
        "part_eligibility": "отдельные правила для этого случая",
        "repair": "Извините, что не попал в точку. Может быть, вам нужно одно из этого? Или "
        "поговорите с сотрудником.",
        "repair_none": "Извините, другой подходящей инструкции я не нашёл. Могу передать вопрос сотруднику.",
        "clarify_part": "Уточните, о какой услуге речь: выберите одну из этих, и я отвечу по ней.",
        "channel_online": "онлайн",
        "channel_asan": "в центре ASAN Xidmət",
        "channel_both": "онлайн или в центре ASAN Xidmət",
        "too_long": "Сообщение очень длинное; я прочитал только его начало.",
        "complaint": "Я записал вашу жалобу и передаю её сотруднику — он ответит вам здесь. "
        "Официальную жалобу подают письменно в само ведомство (онлайн — на my.gov.az "
        "с SİMA или ASAN İmza); ответ положен в течение 15 рабочих дней. Порядок — "
        "по ссылке ниже.",
        "out_of_scope": "Это не вопрос о государственных услугах, поэтому ответить я не могу. "
        "Я помогаю с налогами, пенсиями и пособиями, документами, ASAN İmza, "
        "недвижимостью, штрафами и другими электронными услугами. Если нужен "
        "сотрудник, напишите «оператор».",
        "personal_case": "Чтобы проверить ваше личное дело, нужно посмотреть ваши документы — это "
        "может только сотрудник. Я могу передать ему ваш вопрос.",
        "refer_intro": "Пошаговой инструкции по этой услуге у меня пока нет. Услуга:",
        "refer_where": "Подать заявление и узнать подробности можно по официальной ссылке ниже. "
        "Если хотите, я передам вопрос сотруднику.",
        "draft_notice": "ℹ️ Эти сведения ещё не проверены редактором; уточните их по официальной ссылке.",
        "channel_office": "в офисе ведомства",
        "service_channel_online": "онлайн",
        "service_channel_asan": "в центре ASAN Xidmət",
        "service_channel_office": "в офисе ведомства",
        "fallback_unknown_lang": "(Не удалось определить язык, поэтому отвечаю на азербайджанском. "
        "Можно писать и по-русски или по-английски.)",
    },
    "en": {
        "greeting": "Hello! I help with Azerbaijan's electronic state services. Ask your question, "
        'for example: "how do I check my tax debt?"',
        "thanks": "Thank you for the feedback! Write any time you have another question.",
        "goodbye": "Goodbye! We are here whenever you have another question.",
        "help": "I answer questions about taxes, pensions and social payments, ID cards and "
        "passports, ASAN İmza, property, fines, business registration and other e-services. "
        'Ask in plain words. To talk to a person, write "operator". In an emergency call '
        "112 (emergency), 101 (fire), 102 (police), 103 (ambulance) — this bot is not an "
        "emergency service.",
        "empty": 'I found no text in your message. Please type your question, e.g. "how do I get a passport?"',
        "handoff": "I can pass this question to a member of our staff. They will answer you here.",
        "operator_request": "All right, I am connecting you with a member of staff. They will answer you here.",
        "clarify": "I want to get your question right. Which of these do you need?",
        "documents": "Documents",
        "fee": "Fee",
        "duration": "Time",
        "agency": "Agency",
        "where": "Where",
        "part_not_stated": "This guide does not state {what}. Check the official link below or ask "
        "a member of staff.",
        "part_fee": "the fee",
        "part_duration": "how long it takes",
        "part_documents": "the documents needed",
        "part_where": "where it is done",
        "part_link": "a link",
        "part_eligibility": "separate rules for this case",
        "repair": "Sorry I missed. Is it one of these? Or talk to a member of staff.",
        "repair_none": "Sorry, I found no other guide that fits. I can pass your question to a member of staff.",
        "clarify_part": "Which service is it about? Choose one of these and I will answer for it.",
        "channel_online": "online",
        "channel_asan": "at an ASAN Xidmət centre",
        "channel_both": "online or at an ASAN Xidmət centre",
        "too_long": "Your message is very long; I read only its beginning.",
        "complaint": "I have recorded your complaint and am passing it to a member of staff, who "
        "will answer you here. To file a formal complaint, write to the agency itself "
        "(online on my.gov.az, signed with SİMA or ASAN İmza); a reply is due within "
        "15 working days. The link below explains how.",
        "out_of_scope": "That is not a question about state services, so I cannot answer it. "
        "I help with taxes, pensions and benefits, documents, ASAN İmza, property, "
        'fines and other e-services. If you want a person, write "operator".',
        "personal_case": "Checking your own case means looking at your file, which only a member of "
        "staff can do. I can pass your question to them.",
        "refer_intro": "I have no step-by-step guide for this service yet. The service:",
        "refer_where": "The official link below is where to apply and read the details. If you "
        "like, I can also pass your question to a member of staff.",
        "draft_notice": "ℹ️ An editor has not checked this yet; please confirm on the official link.",
        "channel_office": "at the agency's own office",
        "service_channel_online": "online",
        "service_channel_asan": "at an ASAN Xidmət centre",
        "service_channel_office": "at the agency's office",
        "fallback_unknown_lang": "(I could not tell your language, so I answer in Azerbaijani. "
        "You can also write in Russian or English.)",
    },
}


from bot.texts.telegram import TELEGRAM_TEXTS  # noqa: E402 - merged below

for _lang, _strings in TELEGRAM_TEXTS.items():
    TEXTS[_lang].update(_strings)


def t(key: str, lang: str) -> str:
    """The string ``key`` in ``lang``, falling back to Azerbaijani."""
    return TEXTS.get(lang, TEXTS["az"]).get(key) or TEXTS["az"][key]

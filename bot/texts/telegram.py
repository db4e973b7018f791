"""Strings of the Telegram bot's own interface (commands, buttons, notices)."""

from __future__ import annotations

TELEGRAM_TEXTS: dict[str, dict[str, str]] = {
    "az": {
        "start": "Salam! Mən dövlət elektron xidmətləri üzrə köməkçiyəm: vergilər, pensiya, "
        "sənədlər, ASAN xidmətləri və s. Sualınızı yazın və ya /menu ilə mövzu seçin. "
        "Dili seçin:",
        "privacy_short": "Məxfilik: şəxsi nömrələriniz (FİN, telefon, kart və s.) saxlanmazdan əvvəl "
        "silinir. Ətraflı: /privacy",
        "privacy": "Nə saxlanılır: mesajlarınızın mətni (FİN, vəsiqə və pasport nömrələri, telefon, "
        "e-poçt, kart və IBAN nömrələri silinmiş şəkildə), seçdiyiniz dil və cavablara "
        "verdiyiniz qiymət. Nə qədər: söhbət qeydləri saxlama müddəti bitəndə (standart "
        "olaraq 90 gün) silinir. Görmək üçün: /mydata; silmək üçün: /forget.",
        "lang_set": "Dil: Azərbaycanca. Sualınızı yazın.",
        "choose_lang": "Dili seçin:",
        "menu": "Mövzu sahəsini seçin:",
        "menu_sector": "Mövzunu seçin:",
        "non_text": "Bağışlayın, mən yalnız mətn oxuya bilirəm (səs, şəkil, stiker və fayl yox). "
        "Sualınızı sözlərlə yazın.",
        "edited": "Düzəliş etdiyiniz mesaja cavab:",
        "rate_limited": "Çox tez-tez yazırsınız — bir az gözləyin, sonra yenidən yazın.",
        "stale_button": "Bu düymə artıq etibarlı deyil. Sualınızı yenidən yazın və ya /menu seçin.",
        "feedback_thanks": "Rəyiniz üçün təşəkkür edirik!",
        "talk_to_person": "👤 Əməkdaşla danışmaq",
        "operator_soon": "Sualınızı əməkdaşa ötürürəm. İş saatlarında əməkdaş burada cavab yazacaq.",
        "cancelled": "Ləğv edildi. Yeni sualınızı yaza bilərsiniz.",
        "link_official": "✅ {domain} rəsmi dövlət saytıdır.",
        "link_unofficial": "⚠️ {domain} rəsmi dövlət saytları siyahısında yoxdur. Şəxsi "
        "məlumatlarınızı və kart nömrənizi orada yazmayın.",
        "error": "Bağışlayın, nəsə alınmadı. Bir azdan yenidən yazın və ya «operator» yazın.",
        "consent_question": "Söhbətinizi (sualınızı və son mesajlarınızı) əməkdaşa ötürməyə razısınız? "
        "Əməkdaş yalnız adınızı görəcək.",
        "consent_yes": "✅ Bəli, ötürün",
        "consent_no": "Xeyr, lazım deyil",
        "consent_declined": "Yaxşı, ötürmürəm. Başqa sualınız olsa, yazın.",
        "handoff_queued": "Sualınız əməkdaşa ötürüldü. Növbədə {position}-cisiniz; təxmini gözləmə {minutes} dəq. "
        "Buraya yazdıqlarınız əməkdaşa çatacaq.",
        "handoff_after_hours": "Sualınız əməkdaşa ötürüldü. İndi iş vaxtı deyil; əməkdaşlar {when} "
        "işə qayıdacaq və cavab yazacaq. Müraciətiniz açıq qalır.",
        "handoff_still_open": "Əməkdaşlar hələ məşğuldur, müraciətiniz açıq qalır. Bu arada bu keçidlər "
        "kömək edə bilər:",
        "operator_took_over": "👤 Əməkdaş söhbətə qoşuldu və sizə buradan cavab yazacaq.",
        "operator_edited": "✏️ Əməkdaş cavabını düzəltdi:",
        "ticket_closed": "Müraciətiniz bağlandı. Əməkdaşın köməyini 1-dən 5-ə qiymətləndirin. "
        "Sual qalıbsa, «Yenidən aç» düyməsini basın.",
        "reopen": "🔄 Yenidən aç",
        "reopened": "Müraciətiniz yenidən açıldı; əməkdaş burada cavab yazacaq.",
        "rating_thanks": "Qiymətiniz üçün təşəkkür edirik!",
        "ops_no_forum": "Bu qrupda forum mövzuları yoxdur, ona görə müraciətlər burada mesaj kimi gəlir: "
        "vətəndaşa cavab üçün müraciət kartına (və ya ötürülmüş mesaja) reply edin.",
        "handoff_unavailable": "Hazırda bu botda canlı əməkdaş xidməti qoşulmayıb. Dövlət xidmətləri üzrə "
        "108 Çağrı Mərkəzinə zəng edə bilərsiniz.",
        "mydata_caption": "Sizin haqqınızda saxlanan bütün məlumat (şəxsi nömrələr artıq silinib).",
        "forget_confirm": "Bütün mesajlarınız, qiymətləriniz, müraciətləriniz və profiliniz silinsin? Bunu geri qaytarmaq olmur.",
        "forget_yes": "🗑 Bəli, hamısını silin",
        "forgotten": "Sizin haqqınızda saxlanan hər şey silindi.",
        "more_services": "➕ Digər xidmətlər",
        "menu_services": "Bu sahədə digər xidmətlər (rəsmi keçidlə):",
        "sector_justice": "Notariat, arayışlar, məhkəmə",
        "sector_military": "Hərbi qeydiyyat",
        "sector_migration": "Miqrasiya, viza, icazələr",
        "sector_utilities": "Kommunal xidmətlər",
        "sector_agriculture": "Kənd təsərrüfatı",
        "sector_environment": "Ekologiya",
        "sector_construction": "Tikinti və memarlıq",
        "sector_communications": "Rabitə və poçt",
        "sector_culture": "Mədəniyyət",
        "sector_consular": "Konsulluq xidmətləri",
        "sector_finance": "Maliyyə və sığorta",
        "sector_sport": "Gənclər və idman",
        "sector_taxes": "Vergilər",
        "sector_social": "Sosial müdafiə və pensiya",
        "sector_business": "Biznes, lisenziya, gömrük",
        "sector_identity": "Sənədlər və qeydiyyat",
        "sector_signature": "Elektron imza və giriş",
        "sector_property": "Daşınmaz əmlak",
        "sector_transport": "Nəqliyyat və cərimələr",
        "sector_health": "Tibbi sığorta",
        "sector_education": "Təhsil",
        "sector_portals": "Portallar və ASAN",
        "sector_law": "Qanunlar və hüquqlar",
        "sector_strategy": "Rəqəmsal hökumət",
    },
    "ru": {
        "start": "Здравствуйте! Я помощник по электронным госуслугам: налоги, пенсии, документы, "
        "услуги ASAN и другое. Напишите вопрос или выберите тему через /menu. "
        "Выберите язык:",
        "privacy_short": "Конфиденциальность: личные номера (FİN, телефон, карта и т. п.) удаляются "
        "до сохранения. Подробнее: /privacy",
        "privacy": "Что хранится: текст ваших сообщений (без FİN, номеров удостоверения и паспорта, "
        "телефона, e-mail, карт и IBAN), выбранный язык и ваши оценки ответов. Как долго: "
        "переписка удаляется по истечении срока хранения (по умолчанию 90 дней). "
        "Посмотреть: /mydata; удалить всё: /forget.",
        "lang_set": "Язык: русский. Напишите ваш вопрос.",
        "choose_lang": "Выберите язык:",
        "menu": "Выберите раздел:",
        "menu_sector": "Выберите тему:",
        "non_text": "Извините, я читаю только текст (не голос, фото, стикеры и файлы). "
        "Напишите вопрос словами.",
        "edited": "Ответ на исправленное сообщение:",
        "rate_limited": "Вы пишете слишком часто — подождите немного и напишите снова.",
        "stale_button": "Эта кнопка больше не действует. Напишите вопрос заново или откройте /menu.",
        "feedback_thanks": "Спасибо за оценку!",
        "talk_to_person": "👤 Связаться с сотрудником",
        "operator_soon": "Передаю ваш вопрос сотруднику. В рабочее время он ответит здесь.",
        "cancelled": "Отменено. Можете задать новый вопрос.",
        "link_official": "✅ {domain} — официальный государственный сайт.",
        "link_unofficial": "⚠️ {domain} нет в списке официальных государственных сайтов. Не вводите "
        "там личные данные и номер карты.",
        "error": "Извините, что-то пошло не так. Напишите ещё раз чуть позже или напишите «оператор».",
        "consent_question": "Передать ваш разговор (вопрос и последние сообщения) сотруднику? "
        "Сотрудник увидит только ваше имя.",
        "consent_yes": "✅ Да, передайте",
        "consent_no": "Нет, не нужно",
        "consent_declined": "Хорошо, не передаю. Если будут вопросы — пишите.",
        "handoff_queued": "Ваш вопрос передан сотруднику. Вы {position}-й в очереди; ожидание около {minutes} мин. "
        "Всё, что вы напишете здесь, получит сотрудник.",
        "handoff_after_hours": "Ваш вопрос передан сотруднику. Сейчас нерабочее время; сотрудники вернутся "
        "{when} и ответят. Обращение остаётся открытым.",
        "handoff_still_open": "Сотрудники пока заняты, ваше обращение остаётся открытым. Пока можно "
        "посмотреть эти ссылки:",
        "operator_took_over": "👤 К разговору подключился сотрудник и ответит вам здесь.",
        "operator_edited": "✏️ Сотрудник исправил свой ответ:",
        "ticket_closed": "Обращение закрыто. Оцените помощь сотрудника от 1 до 5. Если вопрос остался, "
        "нажмите «Открыть снова».",
        "reopen": "🔄 Открыть снова",
        "reopened": "Обращение снова открыто; сотрудник ответит здесь.",
        "rating_thanks": "Спасибо за оценку!",
        "ops_no_forum": "В этой группе нет тем форума, поэтому обращения приходят сюда сообщениями: "
        "чтобы ответить гражданину, ответьте (reply) на карточку обращения.",
        "handoff_unavailable": "Сейчас к этому боту не подключены живые сотрудники. По вопросам "
        "госуслуг можно позвонить в колл-центр 108.",
        "mydata_caption": "Всё, что о вас хранится (личные номера уже удалены).",
        "forget_confirm": "Удалить все ваши сообщения, оценки, обращения и профиль? Это нельзя отменить.",
        "forget_yes": "🗑 Да, удалить всё",
        "forgotten": "Всё, что о вас хранилось, удалено.",
        "more_services": "➕ Другие услуги",
        "menu_services": "Другие услуги этого раздела (с официальной ссылкой):",
        "sector_justice": "Нотариат, справки, суды",
        "sector_military": "Воинский учёт",
        "sector_migration": "Миграция, визы, разрешения",
        "sector_utilities": "Коммунальные услуги",
        "sector_agriculture": "Сельское хозяйство",
        "sector_environment": "Экология",
        "sector_construction": "Строительство и архитектура",
        "sector_communications": "Связь и почта",
        "sector_culture": "Культура",
        "sector_consular": "Консульские услуги",
        "sector_finance": "Финансы и страхование",
        "sector_sport": "Молодёжь и спорт",
        "sector_taxes": "Налоги",
        "sector_social": "Соцзащита и пенсии",
        "sector_business": "Бизнес, лицензии, таможня",
        "sector_identity": "Документы и регистрация",
        "sector_signature": "Электронная подпись и вход",
        "sector_property": "Недвижимость",
        "sector_transport": "Транспорт и штрафы",
        "sector_health": "Медстрахование",
        "sector_education": "Образование",
        "sector_portals": "Порталы и ASAN",
        "sector_law": "Законы и права",
        "sector_strategy": "Цифровое правительство",
    },
    "en": {
        "start": "Hello! I help with Azerbaijan's electronic state services: taxes, pensions, "
        "documents, ASAN services and more. Ask a question or pick a topic with /menu. "
        "Choose your language:",
        "privacy_short": "Privacy: personal numbers (FIN, phone, card and so on) are removed before "
        "anything is stored. Details: /privacy",
        "privacy": "What is kept: the text of your messages (with FIN, ID card and passport numbers, "
        "phone numbers, e-mail, card and IBAN numbers removed), your chosen language and "
        "your ratings of answers. For how long: transcripts are deleted after the "
        "retention period (90 days by default). See it: /mydata; delete it all: /forget.",
        "lang_set": "Language: English. Ask your question.",
        "choose_lang": "Choose your language:",
        "menu": "Choose an area:",
        "menu_sector": "Choose a topic:",
        "non_text": "Sorry, I can only read text (not voice, photos, stickers or files). "
        "Please type your question.",
        "edited": "Answer to your edited message:",
        "rate_limited": "You are writing very fast — please wait a moment and try again.",
        "stale_button": "This button is no longer valid. Please ask again or open /menu.",
        "feedback_thanks": "Thank you for your feedback!",
        "talk_to_person": "👤 Talk to a person",
        "operator_soon": "I am passing your question to a member of staff, who will answer here "
        "during working hours.",
        "cancelled": "Cancelled. You can ask a new question.",
        "link_official": "✅ {domain} is an official state website.",
        "link_unofficial": "⚠️ {domain} is not on the list of official state websites. Do not enter "
        "personal data or card numbers there.",
        "error": 'Sorry, something went wrong. Please try again shortly or write "operator".',
        "consent_question": "May I pass this conversation (your question and last messages) to a member "
        "of staff? They will see your first name only.",
        "consent_yes": "✅ Yes, pass it on",
        "consent_no": "No, thanks",
        "consent_declined": "All right, I will not pass it on. Write any time you have a question.",
        "handoff_queued": "Your question is with our staff. You are number {position} in the queue; the "
        "wait is about {minutes} min. Whatever you write here reaches them.",
        "handoff_after_hours": "Your question is with our staff. It is outside working hours; they are "
        "back {when} and will answer. Your case stays open.",
        "handoff_still_open": "Our staff are still busy; your case stays open. Meanwhile these links may "
        "help:",
        "operator_took_over": "👤 A member of staff has joined and will answer you here.",
        "operator_edited": "✏️ The member of staff corrected their answer:",
        "ticket_closed": "Your case is closed. Please rate the help from 1 to 5. If anything is left, "
        'press "Reopen".',
        "reopen": "🔄 Reopen",
        "reopened": "Your case is open again; a member of staff will answer here.",
        "rating_thanks": "Thank you for the rating!",
        "ops_no_forum": "This group has no forum topics, so tickets arrive as messages here: reply to "
        "a ticket's card (or to a relayed message) to answer the citizen.",
        "handoff_unavailable": "No staff are connected to this bot at the moment. For state services you "
        "can call the 108 call centre.",
        "mydata_caption": "Everything kept about you (personal numbers already removed).",
        "forget_confirm": "Delete all your messages, ratings, cases and profile? This cannot be undone.",
        "forget_yes": "🗑 Yes, delete everything",
        "forgotten": "Everything kept about you has been deleted.",
        "more_services": "➕ More services",
        "menu_services": "Other services in this area (with the official link):",
        "sector_justice": "Notary, certificates, courts",
        "sector_military": "Military registration",
        "sector_migration": "Migration, visas, permits",
        "sector_utilities": "Utilities",
        "sector_agriculture": "Agriculture",
        "sector_environment": "Environment",
        "sector_construction": "Construction and architecture",
        "sector_communications": "Communications and post",
        "sector_culture": "Culture",
        "sector_consular": "Consular services",
        "sector_finance": "Finance and insurance",
        "sector_sport": "Youth and sport",
        "sector_taxes": "Taxes",
        "sector_social": "Social protection and pensions",
        "sector_business": "Business, licences, customs",
        "sector_identity": "Documents and registration",
        "sector_signature": "E-signature and login",
        "sector_property": "Real estate",
        "sector_transport": "Transport and fines",
        "sector_health": "Health insurance",
        "sector_education": "Education",
        "sector_portals": "Portals and ASAN",
        "sector_law": "Laws and rights",
        "sector_strategy": "Digital government",
    },
}

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
                   "olaraq 90 gün) silinir. Silmək üçün: əməkdaşa yazın; /forget əmri tezliklə.",
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
        "sector_taxes": "Vergilər", "sector_social": "Sosial müdafiə və pensiya",
        "sector_business": "Biznes, lisenziya, gömrük", "sector_identity": "Sənədlər və qeydiyyat",
        "sector_signature": "Elektron imza və giriş", "sector_property": "Daşınmaz əmlak",
        "sector_transport": "Nəqliyyat və cərimələr", "sector_health": "Tibbi sığorta",
        "sector_education": "Təhsil", "sector_portals": "Portallar və ASAN",
        "sector_law": "Qanunlar və hüquqlar", "sector_strategy": "Rəqəmsal hökumət",
    },
    "ru": {
        "start": "Здравствуйте! Я помощник по электронным госуслугам: налоги, пенсии, документы, "
                 "услуги ASAN и другое. Напишите вопрос или выберите тему через /menu. "
                 "Выберите язык:",
        "privacy_short": "Конфиденциальность: личные номера (FİN, телефон, карта и т. п.) удаляются "
                         "до сохранения. Подробнее: /privacy",
        "privacy": "Что хранится: текст ваших сообщений (без FİN, номеров удостоверения и паспорта, "
                   "телефона, e-mail, карт и IBAN), выбранный язык и ваши оценки ответов. Как долго: "
                   "переписка удаляется по истечении срока хранения (по умолчанию 90 дней). Чтобы "
                   "удалить данные — напишите сотруднику; команда /forget скоро появится.",
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
        "sector_taxes": "Налоги", "sector_social": "Соцзащита и пенсии",
        "sector_business": "Бизнес, лицензии, таможня", "sector_identity": "Документы и регистрация",
        "sector_signature": "Электронная подпись и вход", "sector_property": "Недвижимость",
        "sector_transport": "Транспорт и штрафы", "sector_health": "Медстрахование",
        "sector_education": "Образование", "sector_portals": "Порталы и ASAN",
        "sector_law": "Законы и права", "sector_strategy": "Цифровое правительство",
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
                   "retention period (90 days by default). To delete your data, write to a member "
                   "of staff; a /forget command is coming.",
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
        "error": "Sorry, something went wrong. Please try again shortly or write \"operator\".",
        "sector_taxes": "Taxes", "sector_social": "Social protection and pensions",
        "sector_business": "Business, licences, customs", "sector_identity": "Documents and registration",
        "sector_signature": "E-signature and login", "sector_property": "Real estate",
        "sector_transport": "Transport and fines", "sector_health": "Health insurance",
        "sector_education": "Education", "sector_portals": "Portals and ASAN",
        "sector_law": "Laws and rights", "sector_strategy": "Digital government",
    },
}

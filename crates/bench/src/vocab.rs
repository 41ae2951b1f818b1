//! Built-in vocabulary: Japanese family and given names with their katakana readings and
//! romaji, departments, titles, business areas, and words for synthesising company names
//! when the public company lists are absent. Every string is representable in CP932
//! (checked by a test).

/// (kanji, katakana reading, romaji, relative frequency): the demo workspace's list, whose
/// frequencies follow the real ranking roughly, so common names give many homonyms.
pub use ondo_app::demo::data::FAMILY_NAMES;

/// (kanji, katakana reading, romaji). Drawn uniformly.
pub const GIVEN_NAMES: &[(&str, &str, &str)] = &[
    ("太郎", "タロウ", "taro"),
    ("健太", "ケンタ", "kenta"),
    ("翔太", "ショウタ", "shota"),
    ("大輔", "ダイスケ", "daisuke"),
    ("拓也", "タクヤ", "takuya"),
    ("直樹", "ナオキ", "naoki"),
    ("和也", "カズヤ", "kazuya"),
    ("達也", "タツヤ", "tatsuya"),
    ("誠", "マコト", "makoto"),
    ("浩", "ヒロシ", "hiroshi"),
    ("隆", "タカシ", "takashi"),
    ("健一", "ケンイチ", "kenichi"),
    ("裕介", "ユウスケ", "yusuke"),
    ("亮", "リョウ", "ryo"),
    ("雄一", "ユウイチ", "yuichi"),
    ("学", "マナブ", "manabu"),
    ("修", "オサム", "osamu"),
    ("剛", "ツヨシ", "tsuyoshi"),
    ("翔", "ショウ", "sho"),
    ("陽介", "ヨウスケ", "yosuke"),
    ("俊介", "シュンスケ", "shunsuke"),
    ("大樹", "ダイキ", "daiki"),
    ("悠斗", "ユウト", "yuto"),
    ("蓮", "レン", "ren"),
    ("一郎", "イチロウ", "ichiro"),
    ("健二", "ケンジ", "kenji"),
    ("康弘", "ヤスヒロ", "yasuhiro"),
    ("秀樹", "ヒデキ", "hideki"),
    ("正人", "マサト", "masato"),
    ("智也", "トモヤ", "tomoya"),
    ("慎一", "シンイチ", "shinichi"),
    ("聡", "サトシ", "satoshi"),
    ("大翔", "ヒロト", "hiroto"),
    ("颯太", "ソウタ", "sota"),
    ("陸", "リク", "riku"),
    ("湊", "ミナト", "minato"),
    ("健太郎", "ケンタロウ", "kentaro"),
    ("雄太", "ユウタ", "yuta"),
    ("洋平", "ヨウヘイ", "yohei"),
    ("光", "ヒカル", "hikaru"),
    ("淳", "ジュン", "jun"),
    ("哲也", "テツヤ", "tetsuya"),
    ("和彦", "カズヒコ", "kazuhiko"),
    ("浩二", "コウジ", "koji"),
    ("純一", "ジュンイチ", "junichi"),
    ("晃", "アキラ", "akira"),
    ("崇", "タカシ", "takashi"),
    ("貴之", "タカユキ", "takayuki"),
    ("英樹", "ヒデキ", "hideki"),
    ("博之", "ヒロユキ", "hiroyuki"),
    ("勇気", "ユウキ", "yuki"),
    ("拓海", "タクミ", "takumi"),
    ("花子", "ハナコ", "hanako"),
    ("陽子", "ヨウコ", "yoko"),
    ("恵子", "ケイコ", "keiko"),
    ("美咲", "ミサキ", "misaki"),
    ("愛", "アイ", "ai"),
    ("由美", "ユミ", "yumi"),
    ("真由美", "マユミ", "mayumi"),
    ("直美", "ナオミ", "naomi"),
    ("智子", "トモコ", "tomoko"),
    ("裕子", "ユウコ", "yuko"),
    ("彩", "アヤ", "aya"),
    ("麻衣", "マイ", "mai"),
    ("優子", "ユウコ", "yuko"),
    ("明美", "アケミ", "akemi"),
    ("さくら", "サクラ", "sakura"),
    ("結衣", "ユイ", "yui"),
    ("美穂", "ミホ", "miho"),
    ("香織", "カオリ", "kaori"),
    ("千尋", "チヒロ", "chihiro"),
    ("奈々", "ナナ", "nana"),
    ("理恵", "リエ", "rie"),
    ("沙織", "サオリ", "saori"),
    ("綾香", "アヤカ", "ayaka"),
    ("久美子", "クミコ", "kumiko"),
    ("典子", "ノリコ", "noriko"),
    ("めぐみ", "メグミ", "megumi"),
    ("遥", "ハルカ", "haruka"),
    ("葵", "アオイ", "aoi"),
    ("真理子", "マリコ", "mariko"),
    ("美香", "ミカ", "mika"),
    ("舞", "マイ", "mai"),
    ("愛子", "アイコ", "aiko"),
    ("純子", "ジュンコ", "junko"),
    ("幸子", "サチコ", "sachiko"),
    ("京子", "キョウコ", "kyoko"),
    ("由紀", "ユキ", "yuki"),
    ("絵美", "エミ", "emi"),
    ("志保", "シホ", "shiho"),
    ("瞳", "ヒトミ", "hitomi"),
    ("麻美", "アサミ", "asami"),
    ("友美", "トモミ", "tomomi"),
    ("千春", "チハル", "chiharu"),
    ("陽菜", "ヒナ", "hina"),
    ("美紀", "ミキ", "miki"),
    ("紀子", "ノリコ", "noriko"),
    ("佳奈", "カナ", "kana"),
    ("里奈", "リナ", "rina"),
    ("明日香", "アスカ", "asuka"),
    ("真奈美", "マナミ", "manami"),
];

/// (department, relative frequency).
pub const DEPARTMENTS: &[(&str, u32)] = &[
    ("営業部", 20),
    ("営業企画部", 6),
    ("第一営業部", 4),
    ("第二営業部", 3),
    ("情報システム部", 12),
    ("マーケティング部", 10),
    ("経営企画室", 8),
    ("総務部", 8),
    ("人事部", 5),
    ("製造部", 4),
    ("購買部", 3),
    ("品質保証部", 2),
    ("経理部", 3),
    ("DX推進室", 6),
    ("事業開発部", 4),
    ("カスタマーサクセス部", 2),
    ("広報部", 2),
    ("技術部", 3),
    ("研究開発本部", 2),
    ("法務部", 1),
];

/// (title, relative frequency).
pub const TITLES: &[(&str, u32)] = &[
    ("担当", 10),
    ("主任", 12),
    ("係長", 8),
    ("課長", 14),
    ("課長代理", 4),
    ("マネージャー", 8),
    ("リーダー", 4),
    ("グループリーダー", 3),
    ("次長", 3),
    ("部長", 10),
    ("室長", 2),
    ("本部長", 3),
    ("執行役員", 2),
    ("取締役", 2),
    ("代表取締役", 2),
];

/// Business areas: (postcode, prefecture + city + town, phone area code).
pub const AREAS: &[(&str, &str, &str)] = &[
    ("100-0005", "東京都千代田区丸の内", "03"),
    ("150-0002", "東京都渋谷区渋谷", "03"),
    ("160-0023", "東京都新宿区西新宿", "03"),
    ("105-0011", "東京都港区芝公園", "03"),
    ("103-0027", "東京都中央区日本橋", "03"),
    ("141-0032", "東京都品川区大崎", "03"),
    ("530-0001", "大阪府大阪市北区梅田", "06"),
    ("541-0041", "大阪府大阪市中央区北浜", "06"),
    ("450-0002", "愛知県名古屋市中村区名駅", "052"),
    ("812-0011", "福岡県福岡市博多区博多駅前", "092"),
    ("060-0005", "北海道札幌市中央区北五条西", "011"),
    ("980-0021", "宮城県仙台市青葉区中央", "022"),
    ("220-0012", "神奈川県横浜市西区みなとみらい", "045"),
    ("730-0011", "広島県広島市中区基町", "082"),
    ("600-8216", "京都府京都市下京区東塩小路町", "075"),
    ("650-0021", "兵庫県神戸市中央区三宮町", "078"),
    ("330-0854", "埼玉県さいたま市大宮区桜木町", "048"),
    ("260-0028", "千葉県千葉市中央区新町", "043"),
    ("420-0851", "静岡県静岡市葵区黒金町", "054"),
    ("920-0853", "石川県金沢市本町", "076"),
];

/// Words for synthetic company names: a stem …
pub const STEMS: &[&str] = &[
    "青空",
    "大洋",
    "東光",
    "西和",
    "南星",
    "北辰",
    "日進",
    "昭栄",
    "協和",
    "平和",
    "明和",
    "三協",
    "丸栄",
    "富士",
    "旭",
    "若松",
    "松風",
    "緑川",
    "金沢",
    "浜松",
    "岡山",
    "熊本",
    "湘南",
    "武蔵野",
    "常磐",
    "東和",
    "大和",
    "中央",
    "関東",
    "九州",
    "北陸",
    "東北",
    "信州",
    "瀬戸内",
    "アクア",
    "ライズ",
    "ミライ",
    "グリーン",
    "スター",
    "ユニオン",
    "テクノ",
    "サン",
    "ネオ",
    "エース",
    "アルファ",
    "ノース",
    "オーシャン",
    "フォレスト",
];

/// … an optional middle word …
pub const MIDDLES: &[&str] = &[
    "",
    "精密",
    "電子",
    "化学",
    "機械",
    "情報",
    "交通",
    "データ",
    "メディカル",
    "エンジニアリング",
    "ネット",
    "ホーム",
];

/// … and a business word.
pub const BUSINESSES: &[&str] = &[
    "商事",
    "工業",
    "製作所",
    "システム",
    "電機",
    "物流",
    "建設",
    "食品",
    "化成",
    "ソリューションズ",
    "精機",
    "印刷",
    "不動産",
    "産業",
    "サービス",
    "運輸",
    "薬品",
    "テクノロジー",
];

/// Legal forms for synthetic names: (text, before the name?, relative frequency).
pub const LEGAL_FORMS: &[(&str, bool, u32)] = &[
    ("株式会社", true, 45),
    ("株式会社", false, 40),
    ("有限会社", true, 8),
    ("合同会社", true, 7),
];

/// Where leads came from in the seeded workspace: (touchpoint kind, source).
pub const SEED_SOURCES: &[(&str, &str)] = &[
    ("business_card", "名刺交換"),
    ("form", "Webフォーム 資料請求"),
    ("webinar", "ウェビナー 2025夏"),
    ("import", "展示会 2025春"),
    ("import", "展示会 2024秋"),
    ("form", "お問い合わせフォーム"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn cp932(s: &str) -> bool {
        !encoding_rs::SHIFT_JIS.encode(s).2
    }

    #[test]
    fn every_word_is_representable_in_cp932() {
        for (k, r, _, _) in FAMILY_NAMES {
            assert!(cp932(k) && cp932(r), "{k} {r}");
        }
        for (k, r, _) in GIVEN_NAMES {
            assert!(cp932(k) && cp932(r), "{k} {r}");
        }
        for w in DEPARTMENTS
            .iter()
            .map(|d| d.0)
            .chain(TITLES.iter().map(|t| t.0))
        {
            assert!(cp932(w), "{w}");
        }
        for (_, a, _) in AREAS {
            assert!(cp932(a), "{a}");
        }
        for w in STEMS.iter().chain(MIDDLES).chain(BUSINESSES) {
            assert!(cp932(w), "{w}");
        }
    }

    #[test]
    fn romaji_is_lowercase_ascii() {
        for (_, _, r, _) in FAMILY_NAMES {
            assert!(r.bytes().all(|b| b.is_ascii_lowercase()), "{r}");
        }
        for (_, _, r) in GIVEN_NAMES {
            assert!(r.bytes().all(|b| b.is_ascii_lowercase()), "{r}");
        }
    }
}

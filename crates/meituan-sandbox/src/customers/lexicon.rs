//! Chinese words the generated world and the simulated customers are made of.

/// Branch names; stores past the end are numbered.
pub const BRANCHES: &[&str] = &[
    "望京店",
    "国贸店",
    "三里屯店",
    "中关村店",
    "西单店",
    "五道口店",
    "双井店",
    "酒仙桥店",
    "亦庄店",
    "回龙观店",
    "通州万达店",
    "大望路店",
];

/// The demo brand.
pub const BRAND: &str = "鲜味小馆";

/// Streets for store and customer addresses.
pub const STREETS: &[&str] = &[
    "朝阳区望京街10号",
    "朝阳区建国门外大街1号",
    "朝阳区三里屯路19号",
    "海淀区中关村大街27号",
    "西城区西单北大街131号",
    "海淀区成府路28号",
    "朝阳区东三环中路65号",
    "朝阳区酒仙桥路14号",
];

/// Surnames for masked customer names (`王**`).
pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];

/// Menu: (name, price in fen, unit).
pub const MENU: &[(&str, i64, &str)] = &[
    ("招牌牛肉面", 3200, "碗"),
    ("番茄鸡蛋盖饭", 2200, "份"),
    ("宫保鸡丁饭", 2600, "份"),
    ("酸辣粉", 1800, "碗"),
    ("鲜肉小笼包", 1600, "笼"),
    ("凉拌黄瓜", 900, "份"),
    ("冰镇酸梅汤", 600, "杯"),
    ("卤蛋", 300, "个"),
];

/// Rider names.
pub const RIDERS: &[&str] = &["骑手刘师傅", "骑手张师傅", "骑手马师傅", "骑手赵师傅"];

/// Review texts with their star rating.
pub const REVIEWS: &[(&str, i32)] = &[
    ("面有点坨了，汤也不够热，送得太慢", 2),
    ("味道不错，分量足，下次还来", 5),
    ("少送了一个卤蛋，希望商家注意", 3),
    ("包装漏了，汤洒了一袋子", 1),
    ("小笼包皮薄馅大，好吃", 5),
];

/// Remarks customers leave on orders.
pub const CAUTIONS: &[&str] = &["少放辣", "不要香菜", "多给点醋", "放门口就行，谢谢", ""];

/// Scene names of the documented scene tags (§4.3).
pub fn scene_name(tag: i32) -> &'static str {
    match tag {
        9003 => "顾客投诉商家",
        3002 => "餐品质量投诉",
        3001 => "餐品错送/少送",
        9001 => "顾客已联系客服",
        2203 => "补充备注",
        _ => "",
    }
}

/// One scripted conversation: the customer's lines in order and the scene tag of the first.
#[derive(Debug)]
pub struct Script {
    /// The customer's lines; the next one is said after the merchant answers.
    pub lines: &'static [&'static str],
    /// Scene tag of the opening line (-1 normal).
    pub scene_tag: i32,
}

/// Questions before ordering.
pub const PRE_ORDER: &[Script] = &[
    Script {
        lines: &[
            "你好，请问现在还营业吗？",
            "大概多久能送到望京SOHO？",
            "好的，那我下单了",
        ],
        scene_tag: -1,
    },
    Script {
        lines: &["牛肉面可以做成不辣的吗？", "那可以加一份面吗？", "谢谢老板"],
        scene_tag: -1,
    },
    Script {
        lines: &["有发票吗？公司报销要用", "抬头写我们公司名字就行", "好的"],
        scene_tag: -1,
    },
    Script {
        lines: &["满减活动今天还有吗？", "那我凑个单"],
        scene_tag: -1,
    },
];

/// Questions and changes while the order is in progress.
pub const IN_PROGRESS: &[Script] = &[
    Script {
        lines: &[
            "我的餐到哪了？都快一个小时了",
            "骑手电话打不通",
            "麻烦快点，饿死了",
        ],
        scene_tag: -1,
    },
    Script {
        lines: &[
            "不好意思，地址写错了，能改到3号楼吗？",
            "是3号楼2单元",
            "谢谢",
        ],
        scene_tag: -1,
    },
    Script {
        lines: &["麻烦不要放香菜", "我忘了备注了"],
        scene_tag: 2203,
    },
    Script {
        lines: &["能帮我催一下吗？", "还要多久啊"],
        scene_tag: -1,
    },
];

/// Complaints after completion (after-sale).
pub const COMPLETED: &[Script] = &[
    Script {
        lines: &["少送了一个卤蛋", "订单里明明有的", "怎么处理？"],
        scene_tag: 3001,
    },
    Script {
        lines: &["面里有头发！！太恶心了", "我要退款", "不处理我就投诉了"],
        scene_tag: 9003,
    },
    Script {
        lines: &["汤洒了一半，包装太差了", "能退一部分钱吗"],
        scene_tag: 3002,
    },
    Script {
        lines: &["吃完肚子不舒服，你们的菜新鲜吗？", "我已经联系美团客服了"],
        scene_tag: 9001,
    },
];

/// Review-contact group lines.
pub const REVIEW: &[Script] = &[Script {
    lines: &["看到你们的消息了", "下次注意就行", "好吧"],
    scene_tag: -1,
}];

/// Fans-group lines.
pub const FANS: &[Script] = &[
    Script {
        lines: &["群里有优惠券吗？", "什么时候发券"],
        scene_tag: -1,
    },
    Script {
        lines: &["今天有新品吗？"],
        scene_tag: -1,
    },
];

/// Three-party chats with the rider.
pub const RIDER: &[Script] = &[
    Script {
        lines: &["师傅到哪了？", "我在小区南门等", "好的谢谢"],
        scene_tag: -1,
    },
    Script {
        lines: &["商家出餐了吗？骑手说还在等", "快点呀"],
        scene_tag: -1,
    },
];

/// What an ignored customer says next; the last one escalates to an urgent complaint.
pub const ESCALATIONS: &[(&str, i32)] = &[("在吗？？", -1), ("怎么一直不回复！我要投诉", 9003)];

/// Auto-reply scenes (§4.11) with default texts.
pub const AUTOSEND_SCENES: &[(i32, &str, &str)] = &[
    (
        1,
        "售后问题",
        "亲，非常抱歉给您带来不好的体验，请描述问题，我们马上为您处理",
    ),
    (7, "商家繁忙", "亲，现在订单较多，请稍等片刻"),
    (9, "顾客催单", "亲，已经在加急制作了，请耐心等待"),
    (13, "申请退款", "亲，退款申请已收到，我们会尽快处理"),
    (14, "修改地址", "亲，请把新地址发给我们"),
    (16, "发票问题", "亲，可以开发票，请提供抬头和税号"),
    (17, "闲聊", "亲，有什么可以帮您？"),
    (18, "邀请评价", "亲，吃得满意的话给个好评吧"),
    (19, "营业时间", "本店营业时间 10:00-22:00"),
    (20, "门店位置", "请查看店铺详情中的地址"),
    (21, "食品安全", "亲，非常抱歉，请拍照给我们，我们马上核实"),
    (
        22,
        "少送漏送",
        "亲，非常抱歉，请告诉我们少了什么，马上为您补送或退款",
    ),
];

/// A random element of a non-empty list.
pub fn pick<'a, T>(rng: &mut rand::rngs::StdRng, list: &'a [T]) -> &'a T {
    use rand::Rng;
    &list[rng.random_range(0..list.len())]
}

"""The demo's 诉求内容: varied citizen messages, personal data inside some, planted hot issues.

Messages read like 12345 hotline and 随手拍 records: first person, where, what, since when, what
was tried, what is asked. Each category has 8-15 templates whose slots ({facility}, {time},
{since}, {tried}, {ask}, {number}, {shop}) are filled here, once per run, into a dictionary of a
few thousand variants; events pick a variant by code and only ``{place}`` (the building's road
or 组) is left to the SQL ``replace`` of ``build``. Planted hot issues (many people, one place,
one problem, within days) have their own paraphrases that name the same place and spot, so a
hot-issue miner has a ground truth (``demo_hot_issues``) to find.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# ------------------------------------------------------------------ shared slot fillers

TIME = (
    "晚上十一点", "凌晨两点", "半夜十二点多", "早上六点", "中午十二点", "晚上九点以后", "凌晨一点",
    "每天傍晚", "周末白天", "晚上十点左右",
)  # fmt: skip
SINCE = (
    "从上周开始", "已经半个月了", "这个月以来", "连续三天", "差不多一个月了", "从前天起",
    "今年开春以来", "有两个星期了", "最近一段时间", "从上个月中旬起",
)  # fmt: skip
TRIED = (
    "打过物业电话没人管", "找过社区没有下文", "之前反映过一次", "当面说过几次没用",
    "在业主群里提过", "给街道打过电话", "自己去协商过", "报过110", "拍了照片发给网格员",
)  # fmt: skip
ASK = (
    "希望尽快处理", "请相关部门来看看", "麻烦派人核实一下", "请给个处理结果", "希望有人管一管",
    "请尽快解决，谢谢", "希望给个说法", "请督促整改", "盼回复",
)  # fmt: skip
NUMBER = tuple(str(n) for n in range(2, 10))
# Said before or after the message; added until it is long enough (MIN_LENGTH, counting a
# four-character place).
OPENING = (
    "你好，", "您好，", "你好，我想反映个情况，", "您好，我是附近居民，", "12345你好，",
    "打扰一下，", "您好，麻烦记录一下，",
)  # fmt: skip
CLOSING = (
    "谢谢！", "辛苦了。", "麻烦了，谢谢。", "希望能回个电话。", "等你们的消息。", "谢谢你们。",
)  # fmt: skip
EXTRA = ("具体情况可以电话联系我。", "希望尽快给个答复。", "我就在附近，随时可以配合。")
MIN_LENGTH = 40  # characters, with a four-character place


class CategoryText(NamedTuple):
    """One category's ordinary templates and the fillers of its own slots."""

    templates: tuple[str, ...]
    facility: tuple[str, ...] = ("设施",)
    shop: tuple[str, ...] = ("商铺",)


TEXT: dict[str, CategoryText] = {
    "物业管理": CategoryText(
        (
            "我住{place}，小区{facility}坏了{since}，{tried}，物业一直拖着，{ask}。",
            "{place}这边物业收费不透明，今年物业费涨了还不公示收支明细，业主意见很大，{ask}。",
            "反映{place}小区地下车库漏水，{since}，车上全是泥水，{tried}，{ask}。",
            "{place}小区{facility}没人维护，{since}都是坏的，老人小孩进出不方便，{ask}。",
            "我是{place}的业主，物业保安{time}都不在岗，外来人员随便进出，担心安全，{ask}。",
            "{place}小区楼道垃圾{since}没人清，夏天气味大，{tried}，物业说人手不够，{ask}。",
            "{place}物业擅自把绿地改成停车位收费，业主不同意，{tried}，{ask}。",
            "{place}小区换了新物业以后服务变差，{facility}报修{number}次都没人来，{ask}。",
            "{place}小区门禁{since}一直坏着，陌生人随便进，{tried}，物业推来推去，{ask}。",
            "我们{place}小区物业合同到期，业委会和物业在交接上扯皮，{facility}没人管，{ask}。",
        ),
        facility=("单元门禁", "楼道灯", "监控", "化粪池", "二次供水水箱", "消防水泵", "车库卷帘门"),
    ),
    "违章建筑": CategoryText(
        (
            "{place}有住户在楼顶搭彩钢棚，{since}一直在施工，{tried}，怀疑是违建，{ask}。",
            "反映{place}一楼{shop}私自往外扩建，把公共绿地圈进去了，{ask}。",
            "{place}河边有人在新修房子，没看到任何公示牌，{ask}，请核查是否有审批。",
            "{place}有人把阳台封出去一米多，还在外墙打了{number}个洞装架子，{ask}。",
            "{place}小区顶楼住户加盖了一层，{since}晚上偷偷施工，{tried}，{ask}。",
            "我家在{place}，隔壁{shop}在院子里违规搭建二层，挡住了采光，{ask}。",
            "{place}路边有人用铁皮围了一块地在盖房，{time}还在干活，{ask}。",
            "{place}一楼住户打通承重墙开{shop}，楼上住户都很担心，{tried}，{ask}。",
        ),
        shop=("餐馆", "茶馆", "小卖部", "汽修店", "棋牌室", "五金店"),
    ),
    "环境卫生": CategoryText(
        (
            "{place}路边{facility}{since}没有清运，垃圾都溢出来了，气味很大，{ask}。",
            "{place}附近公厕卫生太差，地上全是水，{since}没人打扫，{ask}。",
            "{place}绿化带里被人倒了好多建筑垃圾，{tried}，还是没人拉走，{ask}。",
            "反映{place}{facility}周边污水横流，{time}还有人往里倒剩饭菜，{ask}。",
            "{place}街面{since}没人扫，落叶和烟头堆成堆，{ask}。",
            "{place}菜市场旁边{facility}破了，垃圾撒一地，苍蝇很多，{ask}。",
            "{place}有人长期在空地上堆放废品，{since}越堆越多，还有老鼠，{tried}，{ask}。",
            "{place}楼下的{facility}{time}才来收，白天一直满着，{ask}。",
            "{place}路口有狗屎和呕吐物，{since}天天都有，希望增加保洁频次。",
        ),
        facility=("垃圾桶", "垃圾站", "分类垃圾亭", "果皮箱", "垃圾转运点"),
    ),
    "噪音扰民": CategoryText(
        (
            "{place}广场舞音响开得太大，{time}还在跳，{since}天天如此，{tried}，{ask}。",
            "我家楼上在{place}，{time}还在装修电钻敲墙，{tried}，{ask}。",
            "{place}附近{shop}{time}还放音乐吵闹，影响休息，{tried}，{ask}。",
            "{place}小区里有人{time}遛狗，狗一直叫，{since}睡不好觉，{ask}。",
            "{place}临街{shop}门口装了大喇叭循环播放促销，{since}，{ask}。",
            "{place}有车辆{time}轰油门飙车，{since}经常这样，{tried}，{ask}。",
            "{place}楼下{facility}{time}嗡嗡响，声音很大，{tried}，{ask}。",
            "住在{place}，对面{shop}{time}搬货卸货噪音大，{since}，{ask}。",
            "{place}有人在家里唱卡拉OK到{time}，{tried}，{ask}。",
        ),
        facility=("变压器", "空调外机", "水泵房", "排风机", "冷却塔"),
        shop=("酒吧", "烧烤店", "麻将馆", "超市", "健身房", "KTV"),
    ),
    "矛盾纠纷": CategoryText(
        (
            "我在{place}，楼上漏水把我家天花板泡坏了，{tried}，对方不肯赔，请社区调解。",
            "{place}两户人家为车位的事吵了{number}次，差点动手，{ask}。",
            "{place}一位老人反映子女不尽赡养义务，{since}生活没着落，请求帮助调解。",
            "我住{place}，邻居在公共过道堆东西，{tried}，关系闹得很僵，{ask}。",
            "{place}租房押金被房东扣着不退，{tried}，希望社区帮忙协调。",
            "{place}有两家因为宅基地边界有争议，{since}一直在吵，{ask}。",
            "我在{place}，装修时和邻居因为噪音起了冲突，{tried}，想请人民调解员介入。",
            "{place}{shop}和顾客因退款发生纠纷，{since}没解决，{ask}。",
        ),
        shop=("培训机构", "装修公司", "家政公司", "美容店"),
    ),
    "消防安全": CategoryText(
        (
            "{place}楼道里堆满了杂物，把消防通道堵死了，{tried}，{ask}。",
            "{place}有人从楼上拉电线给电动车充电，{time}都插着，担心起火，{ask}。",
            "{place}{shop}的灭火器都过期了，{facility}也是坏的，{ask}。",
            "{place}小区消防栓{since}没有水，万一着火怎么办，{tried}，{ask}。",
            "反映{place}地下车库里停了好几辆电动车在充电，{ask}。",
            "{place}{shop}在店里住人，还用明火做饭，消防隐患很大，{ask}。",
            "{place}安全出口被锁住了，{tried}，物业说怕丢东西，{ask}。",
            "{place}楼道的应急灯{since}不亮，晚上逃生都看不见，{ask}。",
        ),
        facility=("消防栓", "应急灯", "烟感报警器", "喷淋", "防火门", "疏散指示牌"),
        shop=("小餐馆", "仓库", "出租屋", "网吧", "五金店"),
    ),
    "市容秩序": CategoryText(
        (
            "{place}路段{time}有流动摊贩占道经营，人都走不过去，{ask}。",
            "{place}{shop}的户外广告牌松了，刮风就晃，有掉下来的风险，{ask}。",
            "{place}人行道上乱停共享单车，{since}越来越多，盲道都堵了，{ask}。",
            "{place}{shop}把桌椅摆到人行道上，{since}天天如此，{tried}，{ask}。",
            "{place}电线杆上贴满了小广告，{tried}，刚清又贴，{ask}。",
            "{place}有人在路边晾晒衣物、堆放杂物，影响市容，{ask}。",
            "{place}{facility}被人私自占用，{since}，{ask}。",
            "{place}{shop}门头招牌灯{time}闪个不停，晃得楼上睡不着，{ask}。",
        ),
        facility=("公共停车位", "盲道", "消防通道", "公交站台"),
        shop=("水果店", "汽修店", "火锅店", "奶茶店", "便利店"),
    ),
    "道路交通": CategoryText(
        (
            "{place}路面坑洼破损，{since}一下雨就积水，电瓶车摔过好几次，{ask}。",
            "{place}路口红绿灯{since}一直是坏的，上下班很危险，{ask}。",
            "{place}路段违停严重，{time}堵得动不了，{tried}，{ask}。",
            "{place}路灯{since}不亮，晚上黑漆漆的，老人摔过跤，{ask}。",
            "{place}井盖被压坏了，车过去哐哐响，{time}还有人差点踩空，{ask}。",
            "{place}的{facility}{since}坏了，{tried}，{ask}。",
            "{place}学校门口没有斑马线和减速带，孩子过马路很危险，{ask}。",
            "{place}公交站{since}取消了，附近老人出行不方便，{ask}。",
            "{place}有大货车{time}超速经过，{since}，{tried}，{ask}。",
        ),
        facility=("路灯", "井盖", "减速带", "隔离护栏", "交通标志牌"),
    ),
    "供水供电供气": CategoryText(
        (
            "{place}片区{since}停水，没看到任何通知，{tried}，{ask}。",
            "{place}小区{time}经常停电，{since}已经停了{number}次，{ask}。",
            "{place}楼道里闻到天然气味道，担心管道泄漏，{ask}。",
            "{place}自来水发黄有异味，{since}，烧开了也有沉淀，{ask}。",
            "{place}小区水压太低，{time}楼上根本没水，{tried}，{ask}。",
            "{place}家里的电表箱{since}老是跳闸，{tried}，{ask}。",
            "咨询{place}片区燃气改造什么时候施工，家里燃气表要不要换，{ask}。",
            "{place}小区{facility}{since}漏水，{tried}，{ask}。",
            "{place}这边电费{since}突然高了很多，怀疑电表有问题，{ask}。",
        ),
        facility=("水表", "二次供水泵房", "供水管", "消防水池"),
    ),
    "防汛排涝": CategoryText(
        (
            "{place}{facility}堵了，{time}下了场雨路上就积水，{ask}。",
            "{place}后面的边坡出现裂缝，{since}越来越宽，雨季怕滑坡，{ask}。",
            "{place}排水沟里全是淤泥，{tried}，{ask}，汛期前清一下。",
            "{place}{facility}盖板缺了一块，下雨看不见，很危险，{ask}。",
            "{place}地势低洼，每次下大雨车库都进水，{tried}，{ask}。",
            "{place}河堤有一段在渗水，{since}越渗越多，附近住着不少人，{ask}。",
            "{place}山上的{facility}被落叶和泥沙堵住了，{since}一下雨水就漫到路上，{ask}。",
            "{place}挡土墙鼓包了，{since}，下面有住户，{ask}。",
        ),
        facility=("雨水篦子", "下水道", "截水沟", "排水管", "涵洞"),
    ),
    "房屋安全": CategoryText(
        (
            "{place}老房子墙体开裂，{since}裂缝越来越大，住户很担心，{ask}。",
            "{place}楼房外墙瓷砖往下掉，{time}砸到过电动车，{ask}。",
            "{place}危旧房里还住着人，{tried}，{ask}，排查一下。",
            "{place}{facility}{since}锈得很厉害，晃得厉害，{ask}。",
            "{place}隔壁在挖地基，我家墙上出现了{number}条裂缝，{ask}。",
            "{place}楼顶{since}漏雨，楼板钢筋都露出来了，{tried}，{ask}。",
            "{place}有住户装修拆了承重墙，楼上都在担心，{ask}。",
            "{place}自建房加层太多，{facility}看着不牢，{since}住户都在议论，{ask}。",
        ),
        facility=("楼梯扶手", "阳台栏杆", "外挂楼梯", "雨棚", "屋顶水箱"),
    ),
    "社会保障": CategoryText(
        (
            "咨询{place}片区低保申请条件和办理流程，需要带哪些材料，{ask}。",
            "{place}有位独居老人，{since}生活很困难，请求纳入救助。",
            "想问一下城乡居民医保今年什么时候缴费，标准是多少，{ask}。",
            "我住{place}，家里老人{number}级残疾，想申请护理补贴不知道找谁，{ask}。",
            "{place}的养老金{since}没到账，{tried}，{ask}。",
            "咨询{place}附近有没有社区食堂，老人吃饭不方便，{ask}。",
            "我在{place}，失业了想办失业金，线上一直提交不成功，{ask}。",
            "{place}有困难家庭孩子上学需要资助，{tried}，{ask}。",
            "询问高龄津贴怎么申请，我母亲住{place}，今年满八十岁了，{ask}。",
        ),
    ),
    "劳动欠薪": CategoryText(
        (
            "我在{place}的工地干活，老板拖欠工资{number}个月了，{tried}，请求帮助追讨。",
            "{place}一家{shop}欠员工工资后突然关门，老板联系不上，{ask}。",
            "{place}{shop}拖欠我{number}千元工资，{since}一直拖，{ask}。",
            "我在{place}做保洁，{since}没发工资，{tried}，{ask}。",
            "{place}{shop}辞退我不给补偿，也不给开离职证明，{ask}。",
            "{place}有个装修队欠了十几个工人的工钱，{tried}，{ask}。",
            "我在{place}的{shop}上班，老板不给买社保，{since}，{ask}。",
            "{place}{shop}让员工{time}加班不给加班费，{ask}。",
        ),
        shop=("餐馆", "装修公司", "物流公司", "服装厂", "保洁公司", "超市"),
    ),
    "市场监管": CategoryText(
        (
            "{place}{shop}卖过期食品，我{since}买到过{number}次，{tried}，{ask}。",
            "{place}{shop}卫生条件很差，后厨看着脏，怀疑无证经营，{ask}。",
            "{place}{shop}价格标示不清，结账比标价贵，涉嫌价格欺诈，{ask}。",
            "{place}{shop}办卡充了钱以后就关门了，{tried}，{ask}。",
            "我在{place}{shop}买的东西有质量问题，商家不给退，{ask}。",
            "{place}有人在路边卖来历不明的肉，{time}出摊，{ask}。",
            "{place}{shop}缺斤少两，{tried}，{ask}。",
            "{place}{shop}没有公示营业执照，{since}一直这样，{ask}。",
        ),
        shop=("超市", "餐馆", "药店", "理发店", "水果摊", "生鲜店", "奶茶店"),
    ),
    "生态环保": CategoryText(
        (
            "{place}{shop}油烟直排，{time}熏得开不了窗，{tried}，{ask}。",
            "{place}河沟里有污水排进去，水又黑又臭，{since}，{ask}。",
            "{place}附近有人焚烧垃圾，{time}烟很大，{ask}。",
            "{place}{shop}往下水道里倒废油，{since}，{ask}。",
            "{place}有工厂{time}偷偷排废气，气味刺鼻，{tried}，{ask}。",
            "{place}{shop}喷漆没有防护，味道飘到小区里，{ask}。",
            "{place}有人乱砍树木，{since}已经砍了{number}棵，{ask}。",
            "{place}池塘里死了很多鱼，{since}，怀疑有人排污，{ask}。",
        ),
        shop=("烧烤店", "火锅店", "汽修店", "洗车店", "小作坊"),
    ),
    "党员服务": CategoryText(
        (
            "我是流动党员，现在住{place}，想咨询组织关系转接手续，{ask}。",
            "{place}的党员想报名参加社区志愿服务，请问找谁联系。",
            "咨询党费缴纳标准和方式，我退休了，现住{place}，{ask}。",
            "{place}有位老党员行动不便，希望社区能送学上门。",
            "我住{place}，想问入党申请书交给哪个支部，{ask}。",
            "{place}党群服务中心{since}没开门，想办事找不到人，{ask}。",
            "我是{place}的在职党员，想到社区报到，请告知流程。",
            "{place}有党员{since}联系不上支部，党费不知道交给谁，{ask}。",
        ),
    ),
    "志愿服务": CategoryText(
        (
            "{place}希望组织志愿者给独居老人上门服务，{ask}。",
            "我住{place}，想报名参加社区环境整治志愿活动，请问在哪报名。",
            "咨询{place}新时代文明实践站有哪些志愿服务项目。",
            "{place}有{number}位居民想组建志愿巡逻队，晚上在小区里巡一巡，想问社区能不能给配点装备。",
            "我是大学生，暑假在{place}，想做志愿服务，{ask}。",
            "{place}的志愿服务时长{since}没有记录上，{ask}。",
            "{place}双职工家庭多，放学后孩子没人管，想请志愿者给孩子辅导作业，{ask}。",
            "咨询{place}社区有没有助老志愿服务，家里老人需要陪诊。",
        ),
    ),
}  # fmt: skip

# ------------------------------------------------------------------ personal data in text

# Appended to ~3 % of citizen messages: the event's own name, phone or address (SQL fills
# {name}, {surname}, {phone}, {address}, {room}; see build._INSERT_EVENTS).
PERSONAL = (
    "我叫{name}，电话{phone}，麻烦尽快处理。",
    "联系电话{phone}，有进展请回电。",
    "我是{name}，住{address}{room}。",
    "我姓{surname}，电话{phone}，白天都能接。",
)
PERSONAL_NEEDS = (
    (True, True, False),
    (False, True, False),
    (True, False, True),
    (True, True, False),
)
"""Per PERSONAL template: needs (name, phone, address)."""

# ------------------------------------------------------------------ planted hot issues


class Theme(NamedTuple):
    """A hot issue's kind: its category, label, spots (one is the issue's) and paraphrases;
    months it may happen in (None: any), and whether it needs a 小区 (an urban grid)."""

    category: str
    label: str
    spots: tuple[str, ...]
    paraphrases: tuple[str, ...]
    months: tuple[int, ...] | None = None
    urban: bool = True


THEMES: tuple[Theme, ...] = (
    Theme("噪音扰民", "工地夜间施工噪音", ("九号线工地", "滨江综合体工地", "安置房三期工地"), (
        "{place}旁边的{spot}天天夜里打桩，凌晨还在施工，整栋楼都睡不着，有没有夜间施工许可？",
        "投诉{spot}夜间违规施工，{place}这边半夜都是挖掘机和渣土车的声音，孩子要高考了。",
        "{place}居民：{spot}这几天通宵作业，噪音特别大，打电话给工地也没人理。",
        "{spot}晚上十二点以后还在浇混凝土，{place}一带的居民全被吵醒，请查一下有没有审批。",
        "我们{place}好多户都被{spot}夜间施工吵得没法休息，已经好几个晚上了，强烈要求停工整改。",
        "{place}附近{spot}半夜切割钢筋，声音刺耳，老人心脏不好受不了。",
    )),
    Theme("防汛排涝", "暴雨后道路积水", ("下穿隧道", "农贸市场门口", "公交枢纽站"), (
        "昨晚暴雨后{place}{spot}积水到膝盖，车子熄火了好几辆，下水道完全排不出去。",
        "{place}{spot}又淹了，雨停了大半天水还没退，行人只能蹚水过去，请赶紧疏通。",
        "反映{place}{spot}排水不畅，这场大雨以后积水一直不退，还有股臭味。",
        "{place}{spot}积水太深，电动车开过去全熄火，雨水口好像被堵死了。",
        "暴雨过后{place}{spot}成了一片汪洋，老人孩子出不了门，请派抽水车来。",
    ), months=(5, 6, 7, 8, 9), urban=False),
    Theme("物业管理", "电梯停运多日", ("5栋2单元", "12栋1单元", "8栋3单元", "3栋1单元"), (
        "{place}小区{spot}电梯坏了好几天了，物业说等配件，我家住二十几楼老人根本下不了楼。",
        "{place}{spot}的电梯又停了，已经第四天，买菜都要爬楼，物业一直说在修。",
        "投诉{place}小区物业，{spot}电梯停运多日没人管，楼上有孕妇和坐轮椅的老人。",
        "{place}{spot}电梯困人以后就一直停着，到现在也没修好，物业连个通知都没有。",
        "我们{place}{spot}全体住户反映电梯停运，每天爬二十层，请督促物业尽快维修。",
        "{place}小区{spot}电梯停了快一周，维保公司和物业互相推，住户没办法只能打12345。",
    )),
    Theme("市容秩序", "无证夜市占道", ("桥下空地", "地铁口", "菜场后街"), (
        "{place}{spot}每天晚上都有几十个摊子摆夜市，油烟噪音到半夜，路都堵死了。",
        "{place}{spot}新冒出来一个夜市，烧烤摊占满了人行道，垃圾第二天早上还在。",
        "反映{place}{spot}无证夜市，晚上车都过不去，城管来了就跑，走了又摆。",
        "{place}{spot}夜市摊贩乱拉电线、用煤气罐，人又多，很不安全，请取缔。",
        "我们{place}的居民受够了{spot}的夜市，每天闹到凌晨一两点，满地竹签和油污。",
    )),
    Theme("供水供电供气", "小区停水", ("整个小区", "高区几栋楼", "北区"), (
        "{place}{spot}从前天开始停水，到现在还没来，也没有任何通知，做饭洗澡都成问题。",
        "{place}{spot}停水两天了，打水务公司电话说在抢修，到底什么时候能恢复？",
        "反映{place}{spot}突然停水，家里有老人和婴儿，请协调送水车。",
        "{place}{spot}又停水了，这已经是第二天，物业说是管道爆了，请尽快处理。",
        "{place}{spot}停水快三天了，只能去亲戚家洗澡，希望给个准确的恢复时间。",
    )),
    Theme("供水供电供气", "片区停电", ("老旧院落", "东区", "沿街几栋楼"), (
        "{place}{spot}停电一整天了，冰箱里东西全坏了，供电所说在抢修就没下文了。",
        "{place}{spot}这两天反复停电，晚上热得睡不着，请供电部门查查线路。",
        "反映{place}{spot}突然断电，老人在家用制氧机，急得不行，请尽快恢复。",
        "{place}{spot}又停电了，这周第三次，电线老化的问题什么时候能解决？",
    ), months=(6, 7, 8, 12, 1)),
    Theme("生态环保", "餐馆油烟直排", ("新开的烤鱼店", "一楼的串串店", "临街烧烤城"), (
        "{place}{spot}油烟直接往楼上排，家里窗户都不敢开，衣服全是油烟味。",
        "投诉{place}{spot}没有装油烟净化器，油烟顺着外墙往上飘，楼上几十户受影响。",
        "{place}{spot}开业以后油烟特别大，中午晚上都熏，找过老板说装了设备但根本没开。",
        "{place}的住户集体反映{spot}油烟扰民，已经熏了一个多星期，请环保部门来查。",
    )),
    Theme("劳动欠薪", "工地集体欠薪", ("体育馆改造项目", "学校扩建工程", "还建房项目"), (
        "我们在{place}{spot}干活的二十多个工人被拖欠工资，包工头失联了，请帮忙讨薪。",
        "{place}{spot}拖欠农民工工资三个多月，家里老人看病等着用钱，请求帮助。",
        "反映{place}{spot}欠薪，总包说钱给了劳务公司，劳务公司说没收到，工人们没办法。",
        "{place}{spot}的工人集体讨薪，老板一直说下周发，已经拖了好几次。",
        "我是{place}{spot}的木工，和工友一起被欠了工资，家里等着用钱，请劳动监察介入。",
    ), urban=False),
    Theme("环境卫生", "垃圾站满溢", ("小区门口的垃圾站", "菜市场垃圾房", "路口垃圾中转点"), (
        "{place}{spot}好几天没清运了，垃圾堆到马路上，臭气熏天，苍蝇到处飞。",
        "{place}{spot}满了都没人拉，天气这么热，整条街都是臭味。",
        "反映{place}{spot}垃圾满溢，污水流到人行道上，路过都要捂鼻子。",
        "{place}{spot}一直没人管，垃圾袋堆成小山，还有野狗翻，请尽快清运。",
    ), urban=False),
    Theme("消防安全", "楼道电动车充电", ("9栋楼道", "6栋一楼大厅", "老楼过道"), (
        "{place}{spot}停满了电动车，晚上都在飞线充电，前几天还冒过烟，太危险了。",
        "{place}{spot}有人把电动车推进来充电，物业贴了通知也没用，请消防来查。",
        "反映{place}{spot}电动车充电乱象，插线板一个接一个，一旦起火整栋楼都跑不掉。",
        "{place}{spot}天天有十几辆电动车在充电，把安全出口都堵了。",
    )),
    Theme("市场监管", "健身房闭店跑路", ("一家健身房", "一家游泳馆", "一家早教中心"), (
        "{place}{spot}突然关门，我们刚办的年卡，几千块钱不知道找谁退，老板联系不上。",
        "{place}{spot}跑路了，好多会员的预付卡都没用完，请市场监管部门介入。",
        "反映{place}{spot}闭店，门上贴了个通知说装修，其实人去楼空，会员集体维权。",
        "{place}{spot}上周还在推销续费，这周就关门了，涉嫌诈骗，请帮我们追回预付款。",
        "我在{place}{spot}充了三千多，现在门店关闭，客服电话打不通，请相关部门处理。",
    )),
    Theme("房屋安全", "外墙脱落", ("7栋外墙", "沿街老楼外墙", "11栋外墙"), (
        "{place}{spot}瓷砖大片脱落，昨天差点砸到人，楼下还是小孩上学的路。",
        "{place}{spot}墙皮一块块往下掉，下面停的车被砸坏了，请赶紧拉警戒线处理。",
        "反映{place}{spot}空鼓脱落，刮风下雨就掉，行人很危险。",
        "{place}{spot}又掉东西了，这几天已经掉了好几次，物业只是拉了根绳子。",
    )),
)  # fmt: skip


class Variants(NamedTuple):
    """The rendered ordinary messages: ``texts`` holds ``per_category`` variants of each
    category in catalogue order (category k's are ``texts[k * per_category:(k + 1) * ...]``)."""

    texts: list[str]
    per_category: int


def render_variants(
    rng: np.random.Generator, categories: tuple[str, ...], per_category: int = 400
) -> Variants:
    """Fill every category's templates with random slot values: ``per_category`` messages
    each, ``{place}`` left for the SQL. Seeded, so a run's dictionary is reproducible."""
    texts: list[str] = []
    for name in categories:
        spec = TEXT[name]
        picks = rng.integers(len(spec.templates), size=per_category)
        draws = {
            "facility": rng.integers(len(spec.facility), size=per_category),
            "shop": rng.integers(len(spec.shop), size=per_category),
            "time": rng.integers(len(TIME), size=per_category),
            "since": rng.integers(len(SINCE), size=per_category),
            "tried": rng.integers(len(TRIED), size=per_category),
            "ask": rng.integers(len(ASK), size=per_category),
            "number": rng.integers(len(NUMBER), size=per_category),
        }
        opening = rng.integers(len(OPENING), size=per_category)
        closing = rng.integers(len(CLOSING), size=per_category)
        lucky = rng.random(per_category)
        for i, t in enumerate(picks):
            message = spec.templates[t].format(
                place="{place}",
                facility=spec.facility[draws["facility"][i]],
                shop=spec.shop[draws["shop"][i]],
                time=TIME[draws["time"][i]],
                since=SINCE[draws["since"][i]],
                tried=TRIED[draws["tried"][i]],
                ask=ASK[draws["ask"][i]],
                number=NUMBER[draws["number"][i]],
            )
            if lucky[i] < 0.3 or len(message) - 3 < MIN_LENGTH:
                message = OPENING[opening[i]] + message
            if lucky[i] > 0.8 or len(message) - 3 < MIN_LENGTH:
                message += CLOSING[closing[i]]
            if len(message) - 3 < MIN_LENGTH:
                message += EXTRA[closing[i] % len(EXTRA)]
            texts.append(message)
    return Variants(texts, per_category)


def issue_texts(theme: Theme, spot: str) -> list[str]:
    """A planted issue's paraphrases, naming its spot (``{place}`` left for the SQL)."""
    return [p.replace("{spot}", spot) for p in theme.paraphrases]
